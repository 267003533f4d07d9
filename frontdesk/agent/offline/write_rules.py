"""Planner rules for the CRM write tools: create/update/tag contacts, create/update/delete leads.

A record named rather than given by id is looked up first (`get_contacts` / `list_leads` by
name); the write runs only when exactly one record matches (`Plan.then_tool`). Deleting needs
the id itself: the planner never deletes by name.
"""

from __future__ import annotations

import re
from typing import Any

from frontdesk.agent.offline.crm_rules import (
    _CONTACT_ID,
    _LEAD_ID,
    _SOURCE_WORDS,
    _STATUS_WORDS,
    company_in,
)
from frontdesk.agent.offline.request import Plan, Request

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()./-]{6,}\d")
_MONEY = re.compile(
    r"(?:\$|€|£|usd\s*|eur\s*)\s?([\d,]+(?:\.\d+)?)\s*(k|m)?\b|\b([\d,]+(?:\.\d+)?)\s*(k|m)?\s*(?:dollars|usd|eur|euros)\b",
    re.I,
)
_PERSON = r"((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+){0,2})"
_TAG = r"[\"']?([\w-]+)[\"']?"


def _money(text: str) -> float | None:
    m = _MONEY.search(text)
    if not m:
        return None
    number, scale = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
    value = float(number.replace(",", ""))
    return value * {"k": 1_000, "m": 1_000_000}.get((scale or "").lower(), 1)


def _source(req: Request) -> str | None:
    for words, source in _SOURCE_WORDS.items():
        if req.has(rf"\b(?:from|via|source(?: is)?|through)\s+(?:the\s+|an?\s+)?(?:{words})\b"):
            return source
    return None


def _status(req: Request) -> str | None:
    m = re.search(r"\b(?:as|to|status)\s+(\w+(?:[- ]\w+)?)", req.low)
    if not m:
        return None
    for words, status in _STATUS_WORDS.items():
        if re.match(rf"(?:{words})\b", m.group(1)):
            return status
    return None


def _target(req: Request, key: str, lookup_tool: str, then_tool: str, then_args: dict[str, Any]) -> Plan:
    """Write to the record given by id, or look the named one up first."""
    pattern = _CONTACT_ID if key == "contact_id" else _LEAD_ID
    if m := pattern.search(req.text):
        return Plan(then_tool, {key: m.group(0), **then_args}, "action", m.group(0))
    name = re.search(_PERSON, req.text[1:])  # skip the capitalised first word (the verb)
    if name is None:
        what = "contact" if key == "contact_id" else "lead"
        return Plan(None, clarify=f"Which {what}? Give me its name or its id ({what}:…).")
    found = re.sub(r"'s$", "", name.group(1))
    return Plan(
        lookup_tool,
        {"search": found, "limit": 5},
        "action",
        f"matching '{found}'",
        then_tool=then_tool,
        then_args=then_args,
    )


def rule_tag(req: Request) -> Plan | None:
    m = re.search(
        r"^(?:please\s+)?(?:tag|label|mark)\s+.+?\s+(?:as|with)\s+" + _TAG + r"\s*\.?$", req.text, re.I
    )
    m = m or re.search(
        r"\b(?:add|put)\s+(?:the\s+)?(?:tag\s+)?" + _TAG + r"\s+tag\s+(?:to|on)\b", req.text, re.I
    )
    m = m or re.search(r"\b(?:add|put)\s+(?:the\s+)?tag\s+" + _TAG + r"\s+(?:to|on)\b", req.text, re.I)
    removing = re.search(
        r"\b(?:remove|take|untag|drop)\s+(?:the\s+)?(?:tag\s+)?" + _TAG + r"(?:\s+tag)?\s+(?:off|from)\b",
        req.text,
        re.I,
    )
    if not (m or removing):
        return None
    if removing and _LEAD_ID.search(req.text) is None:
        return _target(req, "contact_id", "get_contacts", "tag_contact", {"remove": [removing.group(1)]})
    if m and (tag := m.group(1)).lower() not in {"qualified", "contacted", "converted", "new", "won"}:
        return _target(req, "contact_id", "get_contacts", "tag_contact", {"tags": [tag]})
    return None


def rule_create(req: Request) -> Plan | None:
    m = re.search(
        r"^(?:please\s+)?(?:add|create|new|register|save)\s+(?:a\s+|an\s+|the\s+)?(?:new\s+)?(contact|lead|deal|prospect)\b",
        req.low,
    )
    if not m:
        return None
    name = re.search(r"(?:named|called|for|:)\s+" + _PERSON, req.text) or re.search(
        r"(?:contact|lead|deal|prospect)\s+" + _PERSON, req.text
    )
    if name is None:
        return Plan(None, clarify=f"What is the new {m.group(1)}'s name?")
    args: dict[str, Any] = {"name": name.group(1)}
    if email := _EMAIL.search(req.text):
        args["email"] = email.group(0)
    if phone := _PHONE.search(req.text):
        args["phone"] = phone.group(0).strip()
    if (company := company_in(req.text)) and company != args["name"]:
        args["company"] = company
    if m.group(1) == "contact":
        if tags := re.search(r"\btagged\s+" + _TAG, req.text):
            args["tags"] = [tags.group(1)]
        return Plan("create_contact", args, "action", args["name"])
    if source := _source(req):
        args["source"] = source
    if (value := _money(req.text)) is not None:
        args["value"] = value
    return Plan("create_lead", args, "action", args["name"])


def rule_update_lead(req: Request) -> Plan | None:
    if not re.search(r"^(?:please\s+)?(?:mark|move|set|change|update)\b", req.low):
        return None
    lead_words = bool(re.search(r"\blead\b|\bdeal\b|\blead:", req.low))
    status = _status(req)
    value = _money(req.text)
    if not lead_words or (status is None and value is None):
        return None
    changes: dict[str, Any] = {}
    if status:
        changes["status"] = status
    if value is not None:
        changes["value"] = value
    return _target(req, "lead_id", "list_leads", "update_lead", changes)


_CONTACT_FIELDS = {"e-?mail(?: address)?": "email", "phone(?: number)?|number|mobile": "phone",
                   "company|employer": "company", "position|title|job title|role": "position",
                   "notes?": "notes", "status": "status"}  # fmt: skip


def rule_update_contact(req: Request) -> Plan | None:
    m = re.search(r"^(?:please\s+)?(?:set|change|update|edit)\s+(.+?)\s+to\s+(.+?)\s*\.?$", req.text, re.I)
    if not m:
        return None
    field = next(
        (f for words, f in _CONTACT_FIELDS.items() if re.search(rf"\b(?:{words})\b", m.group(1), re.I)), None
    )
    if field is None:
        return None
    return _target(req, "contact_id", "get_contacts", "update_contact", {field: m.group(2).strip("\"'")})


def rule_delete(req: Request) -> Plan | None:
    if not re.search(r"^(?:please\s+)?(?:delete|remove|drop|discard)\b", req.low) or "tag" in req.low:
        return None
    if m := _LEAD_ID.search(req.text):
        return Plan("delete_lead", {"lead_id": m.group(0)}, "action", m.group(0))
    if req.has(r"\blead|\bdeal"):
        return Plan(None, clarify="To delete a lead I need its id (lead:…); list the leads first to find it.")
    return None


RULES = (rule_delete, rule_tag, rule_create, rule_update_lead, rule_update_contact)
