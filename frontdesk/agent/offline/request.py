"""`Request`: one user message as the planner's rules see it, and `Plan`, what they produce."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from frontdesk.agent.offline.dates import DateRange, parse_date_range

Intent = Literal["list", "count", "detail", "summary", "action"]
LIST_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Plan:
    tool: str | None
    arguments: dict[str, Any] = field(default_factory=dict)
    intent: Intent = "list"
    label: str = ""  # a human description of the filters, e.g. "tagged VIP created last week"
    clarify: str | None = None
    # after a lookup (get_contacts / list_leads) that finds exactly one record, call this tool with
    # the record's id and `then_args` (get_contact_detail, tag_contact, update_lead, ...)
    then_tool: str | None = None
    then_args: dict[str, Any] = field(default_factory=dict)
    followup: bool = False  # refines the previous turn's request


@dataclass(frozen=True, slots=True)
class Request:
    text: str  # as typed (case matters for names and tags)
    low: str
    today: date
    when: DateRange | None
    counting: bool

    @classmethod
    def of(cls, text: str, today: date) -> Request:
        low = " ".join(text.lower().split())
        return cls(text.strip(), low, today, parse_date_range(low, today), is_count(low))

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.low) is not None

    def created_range(self) -> dict[str, str]:
        """`created_from` / `created_to` for the message's date expression, if it has one."""
        return date_args(self.when, "created_from", "created_to")

    def page(self) -> int:
        return 1 if self.counting else LIST_LIMIT


def is_count(low: str) -> bool:
    return bool(re.search(r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow much\b|\btotal number\b", low))


def date_args(when: DateRange | None, start_key: str, end_key: str) -> dict[str, str]:
    args: dict[str, str] = {}
    if when and when.start:
        args[start_key] = when.start.isoformat()
    if when and when.end:
        args[end_key] = when.end.isoformat()
    return args
