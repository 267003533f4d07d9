"""A data question in plain English -> structured `Filters`, sort and limit (the offline planner
of the data explorer). Pure and deterministic: `interpret(text, today, catalog)`.

It reads the object type from its nouns, tags from "tagged X" / "with tag X" / known tag names,
statuses, sources and ad platforms from their words, a date window (`periods.parse_period`), numeric
bounds ("worth over $10k", "spend under 50"), a text search ("named Ana", "at Globex", quoted
words), an order ("newest", "biggest") and a row count ("top 10").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from frontdesk.periods import parse_period
from frontdesk.storage.lake.filters import Filters, Range

_GA4 = r"\bga4\b|\bsessions?\b|\bpage ?views?\b|\bwebsite (?:traffic|visits)\b|\btraffic\b"
_ADS = (
    r"\bad (?:spend|metrics|performance)\b|\bspend\b|\bspent\b|\bimpressions?\b|\bclicks?\b|"
    r"\bcpc\b|\bctr\b|\broas\b|\b(?:google|meta|facebook) ads\b|\bdaily metrics\b"
)
_OBJECT_WORDS: tuple[tuple[str, str], ...] = (
    ("ga4_daily_metrics", _GA4),
    ("ad_daily_metrics", _ADS),
    ("campaigns", r"\bcampaigns?\b"),
    ("leads", r"\bleads?\b|\bdeals?\b|\bopportunit(?:y|ies)\b|\bpipeline\b"),
    ("tags", r"^(?:(?:list|show|which|what)\s+(?:are\s+)?(?:the\s+|all\s+|our\s+)?)?tags\b"),
    ("contacts", r"\bcontacts?\b|\bpeople\b|\bcustomers?\b|\bclients?\b|\bpersons?\b"),
)
_NUMERIC_DEFAULT = {
    "leads": "value",
    "contacts": "lifetime_value",
    "ad_daily_metrics": "spend",
    "ga4_daily_metrics": "sessions",
    "campaigns": "daily_budget",
    "tags": "contact_count",
}
_FIELD_WORDS = {"worth": "value", "valued": "value", "value": "value", "spent": "spend", "cost": "spend",
                "budget": "daily_budget", "revenue": "revenue"}  # fmt: skip
_LEAD_STATUS = {"new": "new", "contacted": "contacted", "qualified": "qualified", "converted": "converted",
                "won": "converted", "closed": "converted"}  # fmt: skip
_SOURCES = ("website", "referral", "social", "email", "event", "ads")
_STOP = {
    "the",
    "a",
    "an",
    "as",
    "with",
    "and",
    "or",
    "contacts",
    "leads",
    "people",
    "customers",
    "tag",
    "tags",
}


@dataclass(slots=True)
class Interpretation:
    filters: Filters
    sort: list[str] | None = None
    limit: int | None = None
    understood: list[str] = field(default_factory=list)  # what each part of the question set


def _object_type(text: str, available: set[str]) -> str:
    for object_type, pattern in _OBJECT_WORDS:
        if re.search(pattern, text) and (not available or object_type in available):
            return object_type
    return "contacts" if not available or "contacts" in available else sorted(available)[0]


def _tags(raw: str, known: list[str]) -> list[str]:
    found: list[str] = []
    for pat in (
        r"\btagged\s+(?:as\s+|with\s+)?[\"']?([\w-]+)[\"']?(?:\s+(?:and|&)\s+[\"']?([\w-]+)[\"']?)?",
        r"\bwith\s+(?:the\s+)?tags?\s+[\"']?([\w-]+)[\"']?(?:\s+(?:and|&)\s+[\"']?([\w-]+)[\"']?)?",
        r"[\"']?([\w-]+)[\"']?\s+tag\b",
    ):
        for m in re.finditer(pat, raw, re.I):
            found += [g for g in m.groups() if g and g.lower() not in _STOP]
    for tag in known:  # a known tag named as a word: "VIP contacts"
        if re.search(rf"(?<![\w-]){re.escape(tag)}(?![\w-])", raw, re.I):
            found.append(tag)
    by_lower = {t.lower(): t for t in known}
    out: list[str] = []
    for t in found:
        t = by_lower.get(t.lower(), t)
        if t.lower() not in {o.lower() for o in out}:
            out.append(t)
    return out


def _amount(number: str, suffix: str | None) -> float:
    value = float(number.replace(",", ""))
    return value * {"k": 1_000, "m": 1_000_000}.get((suffix or "").lower(), 1)


def _bounds(text: str, types: dict[str, str], object_type: str) -> dict[str, Range]:
    ranges: dict[str, dict[str, float]] = {}
    pattern = (
        r"(?:\b(\w+)\s+)?(over|above|more than|greater than|at least|under|below|less than|at most)\s+"
        r"\$?(\d[\d,]*(?:\.\d+)?)\s*(k|m)?\b"
    )
    for m in re.finditer(pattern, text):
        word = (m.group(1) or "").lower()
        name = _FIELD_WORDS.get(word, word)
        if name == "value" and object_type == "contacts":
            name = "lifetime_value"
        if types.get(name) not in ("integer", "number"):
            name = _NUMERIC_DEFAULT.get(object_type, "")
        if types.get(name) not in ("integer", "number"):
            continue
        op = {"over": "gt", "above": "gt", "more than": "gt", "greater than": "gt", "at least": "gte",
              "under": "lt", "below": "lt", "less than": "lt", "at most": "lte"}[m.group(2)]  # fmt: skip
        ranges.setdefault(name, {})[op] = _amount(m.group(3), m.group(4))
    return {k: Range(**v) for k, v in ranges.items()}


def _search(raw: str) -> str | None:
    if m := re.search(r"[\"“']([^\"”']{2,60})[\"”']", raw):
        return m.group(1)
    if m := re.search(
        r"\b(?:named|called|matching|containing|mentioning)\s+([\w@.+-]+(?:\s+[A-Z][\w-]*)?)", raw
    ):
        return m.group(1)
    if m := re.search(r"\b(?:at|works at|working at|from)\s+((?:[A-Z][\w&.-]*\s?){1,3})", raw):
        return m.group(1).strip()
    return None


def _order(text: str, object_type: str, types: dict[str, str], date_field: str) -> list[str] | None:
    if re.search(r"\b(?:newest|latest|most recent|recent)\b", text):
        return [f"-{date_field}"]
    if re.search(r"\b(?:oldest|earliest)\b", text):
        return [date_field]
    m = re.search(r"\b(?:biggest|largest|highest|top|most valuable|most)\s*(\w+)?", text)
    if m:
        word = _FIELD_WORDS.get((m.group(1) or "").lower(), (m.group(1) or "").lower())
        name = word if types.get(word) in ("integer", "number") else _NUMERIC_DEFAULT.get(object_type, "")
        if types.get(name) in ("integer", "number"):
            return [f"-{name}"]
    return None


def interpret(
    text: str,
    today: date,
    catalog: dict[str, dict[str, str]] | None = None,
    known_tags: list[str] | None = None,
) -> Interpretation:
    """`catalog` maps the connection's object types to their {field: type}; the question is read
    against it (a numeric bound only lands on a numeric field the object has)."""
    catalog = catalog or {}
    lower = " ".join(text.lower().split())
    object_type = _object_type(lower, set(catalog))
    types = catalog.get(object_type, {})
    parts: dict[str, Any] = {"object_type": object_type}
    said = [f"object_type={object_type}"]
    if "tags" in types and (tags := _tags(text, known_tags or [])):
        parts["tags"] = tags
        said.append(f"tags={tags}")
    equals: dict[str, Any] = {}
    if object_type == "leads":
        for word, status in _LEAD_STATUS.items():
            if re.search(rf"\b{word}\b", lower):
                equals["status"] = status
                break
    if "source" in types:
        m = re.search(rf"\b(?:from|via|through|source)\s+({'|'.join(_SOURCES)})\b", lower)
        if m:
            equals["source"] = m.group(1)
    if "platform" in types:
        if re.search(r"\bgoogle\b", lower):
            equals["platform"] = "google_ads"
        elif re.search(r"\b(?:meta|facebook|instagram)\b", lower):
            equals["platform"] = "meta_ads"
    if equals:
        parts["equals"] = equals
        said += [f"{k}={v}" for k, v in equals.items()]
    date_field = "date" if "date" in types else ("created_at" if "created_at" in types else "")
    if date_field and (window := parse_period(lower, today)):
        parts |= {"date_field": date_field, "date_from": window.start, "date_to": window.end}
        said.append(f"{date_field} {window.phrase}")
    if ranges := _bounds(lower, types, object_type):
        parts["ranges"] = ranges
        said += [f"{k} {v.model_dump(exclude_none=True)}" for k, v in ranges.items()]
    search = _search(text)
    if search and search.lower() not in {t.lower() for t in parts.get("tags", [])}:
        if not re.fullmatch(r"(?i)(?:google|meta|facebook|" + "|".join(_SOURCES) + r")", search):
            parts["search"] = search
            said.append(f"search={search!r}")
    sort = _order(lower, object_type, types, date_field or "id") if types else None
    limit = None
    if m := re.search(r"\b(?:top|first|last|limit)\s+(\d{1,4})\b(?!\s+(?:day|week|month|year)s?\b)", lower):
        limit = max(1, min(int(m.group(1)), 1000))
    return Interpretation(Filters(**parts), sort, limit, said)


def filters_schema() -> dict[str, Any]:
    """The JSON schema of the explorer's `Filters` (what `nl_query` becomes), for a model asked to
    plan a query: the same model `data_query` validates its `filters` with."""
    schema = Filters.model_json_schema(by_alias=True)
    schema.pop("title", None)
    return schema


def merge(structured: Filters | None, derived: Filters | None) -> Filters:
    """Explicit structured filters win, part by part, over ones derived from the question."""
    if derived is None:
        return structured or Filters()
    if structured is None:
        return derived
    explicit = structured.model_dump(by_alias=True, exclude_unset=True)
    return Filters.model_validate(derived.model_dump(by_alias=True) | explicit)
