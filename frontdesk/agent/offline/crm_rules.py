"""Planner rules for the CRM read tools: contacts, one contact, leads, one lead, the pipeline."""

from __future__ import annotations

import re
from typing import Any

from frontdesk.agent.offline.request import Plan, Request

LEAD_SOURCES = ("website", "referral", "social", "email", "event", "ads")
_SOURCE_WORDS = {  # regex -> lead source
    r"website|web ?site|web form|site|online": "website",
    r"referrals?|referred|word of mouth": "referral",
    r"social(?: media)?|linkedin|facebook|instagram|twitter": "social",
    r"e-?mails?|email campaigns?|newsletter": "email",
    r"events?|trade ?shows?|conferences?|webinars?": "event",
    r"ads|adverts?|advertising|paid|ppc|google ads": "ads",
}
_STATUS_WORDS = {  # regex -> lead status
    r"new|fresh|untouched": "new",
    r"contacted|reached out|in contact|touched": "contacted",
    r"qualif(?:ied|y)|hot|sales[- ]ready": "qualified",
    r"convert(?:ed|s)?|won|closed|closed[- ]won|signed|customers? now": "converted",
}
_STOP = {
    "a", "an", "the", "and", "or", "with", "contacts", "contact", "customers", "people", "are", "is", "as",
    "which", "who", "what", "me", "all", "our", "my", "any", "tag", "tags", "tagged", "that", "of", "in",
    "ones", "them", "those", "only", "just", "by", "for", "to",
}  # fmt: skip
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
    "dec", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "the", "our",
}  # fmt: skip
_CONTACT_ID = re.compile(r"\bcontact:[0-9a-f-]{8,36}\b", re.I)
_LEAD_ID = re.compile(r"\blead:[0-9a-f-]{8,36}\b", re.I)
CONTACT_NOUN = (
    r"\bcontacts?\b|\bcustomers?\b|\bpeople\b|\bclients?\b|\bpersons?\b|\bwho\b|\banyone\b|\beveryone\b"
    r"|\bsign ?ups?\b|\bsigned up\b|\bjoined\b|\bregistered\b|\bsubscribers?\b|\bmembers?\b"
)
LEAD_NOUN = r"\bleads?\b|\bdeals?\b|\bprospects\b|\bopportunit\w*|\bsales\b(?! agent| team| pipeline)"


def tags_in(text: str) -> list[str]:
    """Tag names the message asks for: `tagged X`, `with the tag X`, `X tag`, `VIP customers`, ..."""
    found: list[str] = []
    patterns = (
        r"\btagged\s+(?:as\s+|with\s+)?[\"']?([\w-]+)[\"']?(?:\s*(?:,|and|&)\s*[\"']?([\w-]+)[\"']?)?",
        r"\bwith\s+(?:the\s+)?tags?\s+[\"']?([\w-]+)[\"']?(?:\s*(?:,|and|&)\s*[\"']?([\w-]+)[\"']?)?",
        r"\b(?:labell?ed|marked)\s+(?:as\s+)?[\"']?([\w-]+)",
        r"[\"']?([\w-]+)[\"']?\s+tag\b",
        r"\b(?:on|in)\s+the\s+([\w-]+)\s+(?:list|segment)\b",
        r"\b([A-Z]{2,})s?\s+(?:contacts|customers|clients|people|ones|accounts)\b",
        r"\b(?:the|only|just|are|all)\s+([A-Z]{2,})s?\b",
    )
    for pat in patterns:
        for m in re.finditer(pat, text):
            for g in m.groups():
                if g and g.lower() not in _STOP and g.lower() not in {t.lower() for t in found}:
                    found.append(g)
    return found


def company_in(text: str) -> str | None:
    m = re.search(
        r"\b(?:at|from|working (?:for|at)|works? (?:for|at)|employed (?:by|at)|company)\s+"
        r"((?:[A-Z][\w&.-]*)(?:\s+[A-Z][\w&.-]*){0,2})",
        text,
    )
    if m and m.group(1).split()[0].lower() not in _MONTHS:
        name = m.group(1).strip().rstrip(".")
        if not re.fullmatch(r"[A-Z]{2,}", name):  # an all-caps word is a tag (VIP), not a company
            return name
    return None


_NAME = r"((?:[A-Z][\w'-]+)(?:\s+[A-Z][\w'-]+){0,2})"


def name_in(text: str) -> str | None:
    """A person's name the message looks up, e.g. `named Alice`, `who is Olga Petrov`."""
    m = re.search(r"\b(?:named|called|name is|name of)\s+[\"']?((?:[\w'-]+)(?:\s+[A-Z][\w'-]+){0,2})", text)
    if m:
        return m.group(1).strip().strip("?.!\"'")
    m = re.search(_NAME + r"'s\s+(?:e-?mail|phone|number|details|info|address|record|leads?)\b", text)
    if m:
        return m.group(1)
    m = re.search(
        r"\b(?:about|for|of|on|is|find|show|look up|lookup|pull up|get|locate|search for)\s+" + _NAME + r"\b",
        text,
    )
    if m and m.group(1).split()[0].lower() not in _MONTHS and not re.fullmatch(r"[A-Z]{2,}", m.group(1)):
        return m.group(1)
    m = re.search(r"\b(?:find|look up|lookup|search for)\s+([a-z][\w'-]+(?:\s+[a-z][\w'-]+)?)\s*\??$", text)
    if m and not re.search(CONTACT_NOUN + "|" + LEAD_NOUN, m.group(1)):
        return m.group(1)
    return None


_AMOUNT = r"(?:\$|€|£|usd\s*)?\s?(\d[\d,]*(?:\.\d+)?)\s*(k|m|thousand|million)?\b"
_WORTH = r"\b(?:worth |valued at |value |with (?:a )?value )?"
_ABOVE = _WORTH + r"(more than|over|above|greater than|exceeding|at least|>=?|min(?:imum)?(?: of)?)\s*"
_BELOW = _WORTH + r"(less than|under|below|at most|<=?|max(?:imum)?(?: of)?|up to)\s*"


def amount(number: str, scale: str | None) -> float:
    value = float(number.replace(",", ""))
    return value * {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6}.get((scale or "").lower(), 1)


def value_bounds(low: str, cent: float = 0.01) -> tuple[dict[str, float], list[str]]:
    """`min_value` / `max_value` from "worth more than $10k", "under 5,000", "between 1k and 5k"
    (strict words exclude the bound itself, to the `cent`; with `cent` 0 they are kept as said and
    `min_strict` / `max_strict` are set to 1 instead)."""
    args: dict[str, float] = {}
    label: list[str] = []
    if m := re.search(
        r"\b(?:worth|valued at|value|between)\s+(?:between\s+)?" + _AMOUNT + r"\s*(?:and|to|-)\s*" + _AMOUNT,
        low,
    ):
        args = {"min_value": amount(m.group(1), m.group(2)), "max_value": amount(m.group(3), m.group(4))}
        return args, [f"worth ${args['min_value']:,.0f} to ${args['max_value']:,.0f}"]
    if m := re.search(_ABOVE + _AMOUNT, low):
        value = amount(m.group(2), m.group(3))
        strict = not m.group(1).startswith(("at least", ">=", "min"))
        args["min_value"] = round(value + cent, 2) if strict else value
        args |= {"min_strict": 1.0} if strict and not cent else {}
        label.append(f"worth {'over' if strict else 'at least'} ${value:,.0f}")
    if m := re.search(_BELOW + _AMOUNT, low):
        value = amount(m.group(2), m.group(3))
        strict = not m.group(1).startswith(("at most", "<=", "max", "up to"))
        args["max_value"] = round(value - cent, 2) if strict else value
        args |= {"max_strict": 1.0} if strict and not cent else {}
        label.append(f"worth {'under' if strict else 'at most'} ${value:,.0f}")
    return args, label


def lead_filters(req: Request) -> tuple[dict[str, Any], list[str]]:
    args: dict[str, Any] = {}
    label: list[str] = []
    for words, status in _STATUS_WORDS.items():
        if req.has(rf"\b(?:{words})\b"):
            args["status"] = status
            label.append(status)
            break
    for words, source in _SOURCE_WORDS.items():
        if req.has(
            rf"\b(?:from|via|through|by|source(?:d)?(?: is)?|came in from|through the)\s+"
            rf"(?:the\s+|an?\s+)?(?:{words})\b"
        ) or req.has(rf"\b(?:{words})\s+(?:leads?|deals?|prospects)\b"):
            args["source"] = source
            label.append(f"from {source}")
            break
    bounds, said = value_bounds(req.low)
    return args | bounds, label + said


def contact_filters(req: Request) -> tuple[dict[str, Any], list[str], str | None]:
    """(arguments, label parts, looked-up name) for get_contacts."""
    args: dict[str, Any] = {}
    label: list[str] = []
    tags = tags_in(req.text)
    company = company_in(req.text)
    name = None if tags or company else name_in(req.text)
    if tags:
        args["tags"] = tags
        label.append("tagged " + " and ".join(tags))
    if company:
        args["company"] = company
        label.append(f"at {company}")
    if name:
        args["search"] = name
        label.append(f"matching '{name}'")
    args.update(req.created_range())
    if req.when:
        label.append(f"created {req.when.label}")
    if req.has(r"\b(?:newest|latest|most recent(?:ly)?|recently added|last added|just added)\b"):
        args |= {"sort": "created_at", "order": "desc"}
    elif req.has(r"\boldest\b|\bfirst added\b"):
        args |= {"sort": "created_at", "order": "asc"}
    return args, label, name


def rule_ids(req: Request) -> Plan | None:
    if m := _CONTACT_ID.search(req.text):
        return Plan("get_contact_detail", {"contact_id": m.group(0)}, "detail", m.group(0))
    if m := _LEAD_ID.search(req.text):
        return Plan("get_lead", {"lead_id": m.group(0)}, "detail", m.group(0))
    return None


def rule_pipeline(req: Request) -> Plan | None:
    if req.has(
        r"\bpipeline\b|\bfunnel\b|\bby (?:status|stage)\b|\bdeal value\b|\bbreakdown of (?:leads|deals)\b"
        r"|\bconversion rate\b|\bwin rate\b|\bhow much is (?:open|in play)\b|\bper (?:status|stage)\b"
    ):
        return Plan("pipeline_summary", {}, "summary", "pipeline")
    return None


def rule_leads(req: Request) -> Plan | None:
    if not req.has(LEAD_NOUN) or tags_in(req.text):
        return None
    args, label = lead_filters(req)
    args.update(req.created_range())
    if req.when:
        label.append(req.when.label)
    args["limit"] = req.page()
    return Plan("list_leads", args, "count" if req.counting else "list", " ".join(label))


def rule_contacts(req: Request) -> Plan | None:
    args, label, name = contact_filters(req)
    if not (req.has(CONTACT_NOUN) or "tags" in args or name):
        return None
    wants_detail = req.has(
        r"\bdetails?\b|\be-?mail\b|\bphone\b|\bnumber\b|\btell me about\b|\bwho is\b|\binfo\b|\baddress\b"
    )
    detail = bool(name and wants_detail and not req.counting)
    args["limit"] = 5 if detail else req.page()
    intent = "count" if req.counting else "list"
    then = "get_contact_detail" if detail else None
    return Plan("get_contacts", args, intent, " ".join(label), then_tool=then)


RULES = (rule_ids, rule_pipeline, rule_leads, rule_contacts)
