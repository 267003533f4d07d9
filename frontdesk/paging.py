"""Offset pagination: the fields every list answer carries (beside `config`, `errors`, `types`)."""

from __future__ import annotations


def page_fields(total: int, limit: int, offset: int, returned: int) -> dict[str, int | bool]:
    """`total`, `limit`, `offset` and `has_more` for a page of `returned` items out of `total`."""
    return {"total": total, "limit": limit, "offset": offset, "has_more": offset + returned < total}
