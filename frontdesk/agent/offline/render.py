"""Answers for tools without a hand-written template: a compact, faithful rendering of the result.

Every value shown is copied from the result; nothing is computed or guessed. Paging fields are
left out; long lists show their first rows and say how many more there are.
"""

from __future__ import annotations

from typing import Any

SHOW = 10
LONG = 140  # longer text values are cut
_SKIP = {"limit", "offset", "has_more", "next_token", "next_cursor", "cursor", "schema", "config_schema"}
_NAME_KEYS = (
    "name",
    "title",
    "campaign_name",
    "page",
    "path",
    "q",
    "source",
    "platform",
    "date",
    "hour",
    "status",
)
TITLES = {
    "create_contact": "Created the contact",
    "update_contact": "Updated the contact",
    "tag_contact": "Updated the contact's tags",
    "create_lead": "Created the lead",
    "update_lead": "Updated the lead",
    "delete_lead": "Deleted the lead",
    "invoke_helper": "Started the helper",
}


def _label(key: str) -> str:
    return key.replace("_", " ")


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        flat = " ".join(value.split())
        return flat if len(flat) <= LONG else flat[: LONG - 1] + "…"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value % 1 == 0:
            return f"{value:,.0f}"
        return f"{value:.4g}" if abs(value) < 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value) or "none"
    return str(value)


def _scalars(row: dict[str, Any]) -> list[tuple[str, Any]]:
    return [
        (k, v)
        for k, v in row.items()
        if k not in _SKIP
        and v not in (None, "", [])
        and (
            isinstance(v, str | int | float | bool)
            or (isinstance(v, list) and all(isinstance(x, str) for x in v))
        )
    ]


def row_line(row: Any) -> str:
    if not isinstance(row, dict):
        return _fmt(row)
    head = next((str(row[k]) for k in _NAME_KEYS if row.get(k) not in (None, "")), None)
    rest = [
        (k, v) for k, v in _scalars(row) if str(v) != head and k != "id" and not k.endswith(("_id", "_at"))
    ][:6]
    text = ", ".join(f"{_label(k)} {_fmt(v)}" for k, v in rest)
    if head is None:
        return text or _fmt(row.get("id", row))
    return f"{head}" + (f": {text}" if text else "")


def title(tool: str) -> str:
    """What a result is, for people: `list_helpers` -> "Helpers", `get_ga4_metrics` -> "GA4 metrics"."""
    if tool in TITLES:
        return TITLES[tool]
    words = tool.split("_")
    if words[0] in {"get", "list", "search", "query"} and len(words) > 1:
        words = words[1:]
    text = " ".join(w.upper() if w in {"ga4", "crm", "id", "sql"} else w for w in words)
    return text[:1].upper() + text[1:]


def render(tool: str, data: Any) -> str:
    """A plain-text answer for `data` returned by `tool`."""
    lines = [title(tool) + ":"]
    if isinstance(data, list):
        data = {"results": data}
    if not isinstance(data, dict):
        return f"{lines[0]} {_fmt(data)}"
    for key, value in _scalars(data)[:14]:
        lines.append(f"- {_label(key)}: {_fmt(value)}")
    for key, value in data.items():
        if key in _SKIP:
            continue
        if isinstance(value, dict) and value:
            inner = _scalars(value)[:8]
            if inner:
                lines.append(f"- {_label(key)}: " + ", ".join(f"{_label(k)} {_fmt(v)}" for k, v in inner))
        elif isinstance(value, list) and value and not all(isinstance(v, str) for v in value):
            lines.append(f"{_label(key).capitalize()} ({len(value):,}):")
            lines += [f"  - {row_line(row)}" for row in value[:SHOW]]
            if len(value) > SHOW:
                lines.append(f"  …and {len(value) - SHOW:,} more.")
        elif isinstance(value, list) and not value:
            lines.append(f"- {_label(key)}: none")
    return "\n".join(lines)
