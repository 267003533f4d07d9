"""`Request`: one user message as the planner's rules see it, and `Plan`, what they produce."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from frontdesk.periods import Period, parse_period

Intent = Literal["list", "count", "detail", "summary", "action"]
LIST_LIMIT = 10


Shape = Literal["", "compare", "group", "rank", "sequence", "export", "advice", "explain", "filter"]


@dataclass(frozen=True, slots=True)
class Step:
    """One more tool call of a plan. `use` names the argument filled with the id of the record(s)
    the previous round created or found; `each` runs the call once per record found. `group` names
    a record field ("tags", "company"): the call runs once per distinct value of that field among
    the records the previous round found, with the value as the argument of the same name (a list
    for a list field such as tags) — a group-by whose every row is the tool's own total."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # what this call stands for in the answer: "last month", "referral", ...
    use: str | None = None
    each: bool = False
    group: str | None = None


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
    # a request read as a plan of several calls: `parallel` calls run in the first round with the
    # first one; each of `steps` is one later round, fed by the round before (see `steps.py`)
    parallel: tuple[Step, ...] = ()
    steps: tuple[Step, ...] = ()
    shape: Shape = ""  # how the writer puts the results together
    spec: dict[str, Any] = field(default_factory=dict)  # the writer's parameters: metric, n, order...

    def first_round(self) -> list[Step]:
        assert self.tool is not None
        return [Step(self.tool, self.arguments, self.spec.get("first_label", self.label)), *self.parallel]


@dataclass(frozen=True, slots=True)
class Request:
    text: str  # as typed (case matters for names and tags)
    low: str
    today: date
    when: Period | None
    counting: bool

    @classmethod
    def of(cls, text: str, today: date) -> Request:
        low = " ".join(text.lower().split())
        return cls(text.strip(), low, today, parse_period(low, today), is_count(low))

    def has(self, pattern: str) -> bool:
        return re.search(pattern, self.low) is not None

    def created_range(self) -> dict[str, str]:
        """`created_from` / `created_to` for the message's date expression, if it has one."""
        return date_args(self.when, "created_from", "created_to")

    def page(self) -> int:
        return 1 if self.counting else LIST_LIMIT


def is_count(low: str) -> bool:
    return bool(re.search(r"\bhow many\b|\bnumber of\b|\bcount\b|\bhow much\b|\btotal number\b", low))


def date_args(when: Period | None, start_key: str, end_key: str) -> dict[str, str]:
    args: dict[str, str] = {}
    if when and when.start:
        args[start_key] = when.start.isoformat()
    if when and when.end:
        args[end_key] = when.end.isoformat()
    return args
