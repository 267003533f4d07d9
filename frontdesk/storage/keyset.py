"""Keyset ("seek") paging: the rows that come after a given sort key, through the sort index.

A list sorted by `(k1, k2, ..., id)` continues after the key `(v1, v2, ..., vid)` of its last row
with `k1 >= v1` (a range the sort index can seek to; `<=` when k1 descends) and the exact
lexicographic "after" test beside it, written out term by term so keys may mix directions
(newest first, ties by ascending id). Every key must be NOT NULL (nulls would fall out of both
comparisons); the lists coalesce nullable columns in their sort keys.

On SQLite a timestamp key is read and compared as the text the column stores (`sortable`): rows
written outside the ORM (bulk loads) store another text form of the same instant, and the text is
what the index and ORDER BY sort by, so only the text keeps the cursor exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import DateTime, Select, String, and_, literal, or_, tuple_, type_coerce
from sqlalchemy.sql.elements import ColumnElement

from frontdesk.paging import decode_cursor, encode_cursor

Keys = Sequence[tuple[Any, bool]]  # (expression, descending), the id last


def sortable(expr: Any, dialect: str) -> Any:
    """`expr` as the database sorts it: a SQLite timestamp as its stored text."""
    if dialect == "sqlite" and isinstance(getattr(expr, "type", None), DateTime):
        return type_coerce(expr, String)
    return expr


def after(keys: Keys, values: Sequence[Any]) -> ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys`."""
    if len(keys) != len(values) or not keys:
        raise ValueError("one value per sort key")
    first, first_desc = keys[0]
    seek = first <= values[0] if first_desc else first >= values[0]
    if all(desc == first_desc for _, desc in keys):  # one direction: a row-value range, which
        # both databases seek with on every key (not only the first: many ties on a last name)
        row, at = (
            tuple_(*[e for e, _ in keys]),
            tuple_(*[literal(v, e.type) for (e, _), v in zip(keys, values, strict=True)]),
        )
        return and_(seek, row < at if first_desc else row > at)
    terms = []
    for i, ((expr, desc), value) in enumerate(zip(keys, values, strict=True)):
        equal_before = [e == v for (e, _), v in zip(keys[:i], values[:i], strict=True)]
        terms.append(and_(*equal_before, expr < value if desc else expr > value))
    return and_(seek, or_(*terms))


def columns(keys: Keys) -> list[Any]:
    """The key expressions to select (labelled: beside an entity, a bare column would collide
    with the entity's own)."""
    return [expr.label(f"keyset_{i}") for i, (expr, _) in enumerate(keys)]


def order_by(keys: Keys) -> list[Any]:
    """The ORDER BY clauses of `keys`."""
    return [expr.desc() if desc else expr.asc() for expr, desc in keys]


def page(
    stmt: Select[Any], keys: Keys, cursor: str | None, scope: str, limit: int, offset: int
) -> Select[Any]:
    """`stmt` (which selects the key values last, in `keys` order) ordered by `keys`, started
    after `cursor` (checked against `scope`), one row more than `limit` to tell if more follow."""
    if cursor:
        kinds = tuple(expr.type.python_type for expr, _ in keys)
        stmt = stmt.where(after(keys, decode_cursor(cursor, scope, kinds)))
    return stmt.order_by(*order_by(keys)).limit(limit + 1).offset(offset)


def next_cursor(rows: Sequence[Any], keys: Keys, limit: int, scope: str) -> str | None:
    """The cursor after the last of `limit` rows when the query found more (rows end with the
    key values)."""
    if len(rows) <= limit or not limit:
        return None
    return encode_cursor(scope, tuple(rows[limit - 1])[-len(keys) :])
