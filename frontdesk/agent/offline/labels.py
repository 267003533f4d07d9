"""A human description of a tool call's filters, built from its arguments (for follow-ups, whose
arguments merge two turns): `tagged VIP at Acme Corp created last week`, `qualified from referral`."""

from __future__ import annotations

from datetime import date
from typing import Any

from frontdesk.periods import Period


def date_label(start: str | None, end: str | None, when: Period | None = None) -> str:
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


def label_for(tool: str, args: dict[str, Any], when: Period | None = None) -> str:
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
        parts += _value_words(args.get("min_value"), args.get("max_value"))
        if args.get("search"):
            parts.append(f"matching '{args['search']}'")
        if dates:
            parts.append(dates)
    elif dates:
        parts.append(dates)
    return " ".join(parts)


def _value_words(low: float | None, high: float | None) -> list[str]:
    """ "worth over $10,000" for a strict bound (stored a cent past it), "worth at least …" else."""
    words = []
    if low is not None:
        strict = round(low * 100) % 100 == 1
        words.append(f"worth {'over' if strict else 'at least'} ${low - 0.01 * strict:,.0f}")
    if high is not None:
        strict = round(high * 100) % 100 == 99
        words.append(f"worth {'under' if strict else 'at most'} ${high + 0.01 * strict:,.0f}")
    return words
