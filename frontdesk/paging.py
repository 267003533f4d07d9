"""Pagination: the fields every list answer carries, and keyset cursors (beside `config`, `errors`).

Offset pages (`limit` + `offset`) stay for every list, but a deep offset makes the database skip
that many index entries on every request. A cursor is the way to walk a long list: it names the
sort key of the last item a page returned, and the next page starts right after it through the
list's sort index, as fast at the 150,000th item as at the first.

A cursor is opaque to clients (URL-safe base64 of a small JSON document) and carries a scope: a
fingerprint of the list it came from (which list, whose, which filters and sort). A cursor used
on another list, another filter or another account is refused (`Invalid`, 400) instead of
positioning that list by someone else's key; it never selects rows outside the caller's own list
either way, since the position is only a bound added to the caller's own scoped query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from frontdesk.errors import Invalid

T = TypeVar("T")
CursorValue = str | int | float | datetime
MAX_CURSOR_CHARS = 2000


def page_fields(
    total: int, limit: int, offset: int, returned: int, *, has_more: bool | None = None
) -> dict[str, int | bool]:
    """`total`, `limit`, `offset` and `has_more` for a page of `returned` items out of `total`
    (`has_more` given by the caller for a cursor page, whose offset is unknown)."""
    more = offset + returned < total if has_more is None else has_more
    return {"total": total, "limit": limit, "offset": offset, "has_more": more}


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a keyset-ordered list: the items, how many match in all, and the cursor of the
    page after it (`None` on the last page)."""

    items: list[T]
    total: int
    next_cursor: str | None


def cursor_scope(*parts: object) -> str:
    """A short fingerprint of a list (name, owner, filters, sort) that a cursor must match."""
    raw = json.dumps([str(p) if p is not None else None for p in parts], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def encode_cursor(scope: str, key: Sequence[CursorValue]) -> str:
    """The opaque cursor for the position right after `key` in the list fingerprinted `scope`."""
    values = [{"t": v.isoformat()} if isinstance(v, datetime) else v for v in key]
    raw = json.dumps({"s": scope, "k": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).rstrip(b"=").decode()


def _value(raw: object, kind: type) -> CursorValue:
    if kind is datetime and isinstance(raw, dict) and isinstance(raw.get("t"), str):
        return datetime.fromisoformat(raw["t"])
    if kind is float and isinstance(raw, int | float) and not isinstance(raw, bool):
        return float(raw)
    if kind in (str, int) and type(raw) is kind:
        return raw  # type: ignore[return-value]
    raise ValueError("cursor value of the wrong type")


def decode_cursor(token: str, scope: str, kinds: Sequence[type]) -> tuple[CursorValue, ...]:
    """The sort key a cursor names, checked against this list's `scope` and key `kinds`.

    Anything else (not a cursor, edited, from another list or account) is `Invalid`."""
    if len(token) > MAX_CURSOR_CHARS:
        raise Invalid("cursor is too long", code="invalid_cursor")
    try:
        doc = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Invalid("cursor is not a cursor this server issued", code="invalid_cursor") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("k"), list):
        raise Invalid("cursor is not a cursor this server issued", code="invalid_cursor")
    if doc.get("s") != scope:
        raise Invalid(
            "cursor belongs to another list (other filters, sort or owner): start again without it",
            code="invalid_cursor",
        )
    if len(doc["k"]) != len(kinds):
        raise Invalid("cursor does not match this list's sort", code="invalid_cursor")
    try:
        return tuple(_value(raw, kind) for raw, kind in zip(doc["k"], kinds, strict=True))
    except ValueError:
        raise Invalid("cursor does not match this list's sort", code="invalid_cursor") from None
