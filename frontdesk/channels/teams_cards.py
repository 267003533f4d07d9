"""Records as an Adaptive Card: when a turn's tools returned a list of records (contacts, leads,
...), the Teams reply carries them as an Adaptive Card table (schema 1.5) next to the answer's
text, which stays the fallback for clients that do not render cards."""

from __future__ import annotations

from typing import Any

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
MAX_ROWS = 20
MAX_COLUMNS = 5
_SKIPPED = {"notes", "tags", "created_at", "updated_at", "last_contact_date", "tool_calls"}


def records_of(result: Any) -> list[dict[str, Any]] | None:
    """The first non-empty list of records (dicts) in a tool result, if any."""
    if isinstance(result, list) and result and all(isinstance(r, dict) for r in result):
        return result
    if isinstance(result, dict):
        for value in result.values():
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                return value
    return None


def _columns(records: list[dict[str, Any]]) -> list[str]:
    first = records[0]
    names = [
        k
        for k, v in first.items()
        if k not in _SKIPPED
        and k != "id"
        and not k.endswith("_id")
        and (v is None or isinstance(v, str | int | float))
    ]
    return names[:MAX_COLUMNS]


def _cell(value: Any) -> dict[str, Any]:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = "" if value is None else str(value)
    return {"type": "TableCell", "items": [{"type": "TextBlock", "text": text, "wrap": True}]}


def record_card(records: list[dict[str, Any]], summary: str) -> dict[str, Any] | None:
    """An Adaptive Card with `summary` and a table of the first rows; None if nothing tabular."""
    columns = _columns(records)
    if not columns:
        return None
    header = {"type": "TableRow", "style": "accent", "cells": [_cell(c.replace("_", " ")) for c in columns]}
    rows = [{"type": "TableRow", "cells": [_cell(r.get(c)) for c in columns]} for r in records[:MAX_ROWS]]
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": summary, "wrap": True}]
    body.append(
        {
            "type": "Table",
            "firstRowAsHeader": True,
            "columns": [{"width": 1} for _ in columns],
            "rows": [header, *rows],
        }
    )
    if len(records) > MAX_ROWS:
        body.append(
            {"type": "TextBlock", "text": f"First {MAX_ROWS} of {len(records)} shown.", "isSubtle": True}
        )
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "fallbackText": summary,
        "body": body,
    }
