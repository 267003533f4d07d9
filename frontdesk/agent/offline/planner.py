"""From the user's words to one tool call with arguments — or a short clarifying question.

Pure and deterministic: `plan(text, today)` looks only at the text and the date. The cases it must
understand are kept as data in `tests/agent/test_planner_cases.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from frontdesk.agent.offline.dates import parse_date_range

Intent = Literal["list", "count", "detail", "summary"]

LEAD_STATUSES = ("new", "contacted", "qualified", "converted")
LEAD_SOURCES = ("website", "referral", "social", "email", "event", "ads")
_STATUS_WORDS = {  # regex stem -> lead status
    r"new": "new",
    r"contacted": "contacted",
    r"qualif(?:ied|y)": "qualified",
    r"convert(?:ed|s)?|won|closed": "converted",
}
_STOP = {
    "a", "an", "the", "and", "or", "with", "contacts", "contact", "customers", "people", "are", "is", "as",
    "which", "who", "what", "me", "all", "our", "my", "any", "tag", "tags", "tagged", "that", "of", "in",
}  # fmt: skip
_ID_RE = re.compile(r"\bcontact:[0-9a-f-]{36}\b", re.I)


@dataclass(frozen=True, slots=True)
class Plan:
    tool: str | None
    arguments: dict[str, Any] = field(default_factory=dict)
    intent: Intent = "list"
    label: str = ""  # a human description of the filters, e.g. "tagged VIP created last week"
    clarify: str | None = None
    then_detail: bool = False  # look the single match up with get_contact_detail


CAPABILITIES = (
    "I can look up contacts (by tag, name, company or created date), list leads (by status or source), "
    "summarise the sales pipeline, and show one contact's details."
)


def _tags(text: str) -> list[str]:
    found: list[str] = []
    patterns = (
        r"\btagged\s+(?:as\s+|with\s+)?[\"']?([\w-]+)[\"']?(?:\s+(?:and|&)\s+[\"']?([\w-]+)[\"']?)?",
        r"\bwith\s+(?:the\s+)?tags?\s+[\"']?([\w-]+)[\"']?(?:\s+(?:and|&)\s+[\"']?([\w-]+)[\"']?)?",
        r"\b(?:labelled|labeled)\s+[\"']?([\w-]+)",
        r"[\"']?([\w-]+)[\"']?\s+tag\b",
        r"\b([A-Z]{2,})\s+(?:contacts|customers|clients|people)\b",
    )
    for pat in patterns:
        for m in re.finditer(pat, text):
            for g in m.groups():
                if g and g.lower() not in _STOP and g.lower() not in {t.lower() for t in found}:
                    found.append(g)
    return found


def _company(text: str) -> str | None:
    m = re.search(r"\b(?:at|from|of|working for|work for|works at)\s+((?:[A-Z][\w&.-]*\s?){1,3})", text)
    if m:
        name = m.group(1).strip()
        if name.lower() not in {"january", "february", "march", "april", "may", "june", "july", "august",
                                "september", "october", "november", "december"}:  # fmt: skip
            return name
    return None


def _name(text: str) -> str | None:
    m = re.search(r"\b(?:named|called|name is)\s+[\"']?((?:[A-Z]?[\w'-]+\s?){1,3})", text)
    if m:
        return m.group(1).strip().strip("?.!\"'")
    m = re.search(
        r"\b(?:about|for|of|is|find|show|look up|lookup)\s+((?:[A-Z][a-z'-]+)(?:\s+[A-Z][a-z'-]+)?)(?:'s)?\b",
        text,
    )
    if m and m.group(1).lower() not in {"vip", "me"}:
        return m.group(1)
    return None


def _leads_filters(low: str) -> tuple[dict[str, Any], list[str]]:
    args: dict[str, Any] = {}
    label: list[str] = []
    for word, status in _STATUS_WORDS.items():
        if re.search(rf"\b(?:{word})\b", low):
            args["status"] = status
            label.append(status)
            break
    for source in LEAD_SOURCES:
        if re.search(rf"\b{source}s?\b", low):
            args["source"] = source
            label.append(f"from {source}")
            break
    return args, label


def _count_intent(low: str) -> bool:
    return bool(re.search(r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow much\b", low))


def plan(text: str, today: date) -> Plan:
    """Plan one tool call for the request `text`."""
    low = text.lower().strip()
    if not low:
        return Plan(None, clarify="What would you like to know? " + CAPABILITIES)
    counting = _count_intent(low)
    when = parse_date_range(low, today)
    dates: dict[str, Any] = {}
    if when:
        if when.start:
            dates["created_from"] = when.start.isoformat()
        if when.end:
            dates["created_to"] = when.end.isoformat()

    if m := _ID_RE.search(text):
        return Plan("get_contact_detail", {"contact_id": m.group(0)}, "detail", m.group(0))

    if re.search(
        r"\bpipeline\b|\bfunnel\b|\bby (?:status|stage)\b|\bdeal value\b|\bbreakdown of leads\b", low
    ):
        return Plan("pipeline_summary", {}, "summary", "pipeline")

    if re.search(r"\bleads?\b|\bdeals?\b|\bprospects\b|\bopportunit", low):
        args, label = _leads_filters(low)
        args.update(dates)
        if when:
            label.append(when.label)
        if not counting:
            args["limit"] = 10
        else:
            args["limit"] = 1
        return Plan("list_leads", args, "count" if counting else "list", " ".join(label))

    contactish = re.search(r"\bcontacts?\b|\bcustomers?\b|\bpeople\b|\bclients?\b|\bpersons?\b|\bwho\b", low)
    tags = _tags(text)
    company = _company(text) if contactish or tags else None
    wants_detail = bool(re.search(r"\bdetails?\b|\bemail of\b|\bphone\b|\btell me about\b|\bwho is\b", low))
    name = _name(text) if (wants_detail or re.search(r"\bnamed\b|\bcalled\b|\bfind\b", low)) else None

    if contactish or tags or name:
        args: dict[str, Any] = {}
        label: list[str] = []
        if tags:
            args["tags"] = tags
            label.append("tagged " + " and ".join(tags))
        if company:
            args["company"] = company
            label.append(f"at {company}")
        if name and not tags and not company:
            args["search"] = name
            label.append(f"matching '{name}'")
        args.update(dates)
        if when:
            label.append(f"created {when.label}")
        args["limit"] = 1 if counting else (5 if name and wants_detail else 10)
        intent: Intent = "count" if counting else "list"
        return Plan("get_contacts", args, intent, " ".join(label), then_detail=bool(name and wants_detail))

    return Plan(None, clarify="I'm not sure what you're asking. " + CAPABILITIES)
