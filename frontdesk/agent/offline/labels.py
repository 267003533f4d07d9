"""A human description of a tool call's filters, built from its arguments (for follow-ups, whose
arguments merge two turns): `tagged VIP at Acme Corp created last week`, `qualified from referral`."""

from __future__ import annotations

from datetime import date
from typing import Any

from frontdesk.agent.offline.dates import DateRange


def date_label(start: str | None, end: str | None, when: DateRange | None = None) -> str:
    if when is not None and (when.start, when.end) == (_day(start), _day(end)):
        return when.label
    if start and end:
        return f"on {start}" if start == end else f"between {start} and {end}"
    if start:
        return f"since {start}"
    if end:
        return f"up to {end}"
    return ""


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def label_for(tool: str, args: dict[str, Any], when: DateRange | None = None) -> str:
    parts: list[str] = []
    dates = date_label(args.get("created_from"), args.get("created_to"), when)
    if tool == "get_contacts":
        if args.get("tags"):
            parts.append("tagged " + " and ".join(args["tags"]))
        if args.get("company"):
            parts.append(f"at {args['company']}")
        if args.get("search"):
            parts.append(f"matching '{args['search']}'")
        if dates:
            parts.append(f"created {dates}")
    elif tool == "list_leads":
        if args.get("status"):
            parts.append(str(args["status"]))
        if args.get("source"):
            parts.append(f"from {args['source']}")
        if args.get("search"):
            parts.append(f"matching '{args['search']}'")
        if dates:
            parts.append(dates)
    elif dates:
        parts.append(dates)
    return " ".join(parts)
