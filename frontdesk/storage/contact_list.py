"""The contact list read: one page, its total and the next page's cursor, in one synchronous
function (`_read`) over the statements of `crm_lists` (filters, tag plans, counts).

How it is read: every statement is built once a list shape — which filters are given and how a
text is searched, how many tags, the sort, the tag plan — with named bind parameters
(`write_tx.Plan`, kept in `_PLANS` while the process runs; a few thousand shapes at most), and
the whole read (the tags sized, the count, the page, its rows) is one synchronous function over
them (`_read`). Given the `Database` on SQLite it runs in one trip to a pooled connection's
thread (`storage.read_tx`), without the ORM; given a session, or on PostgreSQL, on a session's
connection through SQLAlchemy: the same statements. A page after a cursor adds the cursor's
values to its shape's statement, so it runs through SQLAlchemy's compiled cache on a session;
a deep unfiltered offset asks the anchors first, on a session (`contact_anchors.deep_page`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import DateTime, Select, String, bindparam, func, literal_column, select

from frontdesk.errors import Invalid
from frontdesk.paging import Page, decode_cursor
from frontdesk.storage import contact_anchors, keyset
from frontdesk.storage import crm_lists as lists
from frontdesk.storage.contact_rows import ContactRow, load_rows
from frontdesk.storage.models import Contact
from frontdesk.storage.read_tx import Reader, dialect_name, reader_session, run_reads
from frontdesk.storage.write_tx import Plan, Tx

CONTACT_SORTS = ("name", "company", "created_at")


async def search_contacts(where: Reader, account_id: str, **filters: Any) -> tuple[list[ContactRow], int]:
    """One page of the account's contacts that match and how many match in all (the arguments of
    `contacts_page`)."""
    page = await contacts_page(where, account_id, **filters)
    return page.items, page.total


@dataclass(frozen=True, slots=True)
class _Query:
    """One contact list request, as `contacts_page` was given it."""

    account_id: str
    search: str | None
    tags: list[str]
    company: str | None
    created_from: datetime | None
    created_to: datetime | None
    sort: str
    order: str
    limit: int
    offset: int
    cursor: str | None
    scope: str


async def contacts_page(
    where: Reader,
    account_id: str,
    *,
    search: str | None = None,
    tags: list[str] | None = None,
    company: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    sort: str = "name",
    order: str = "asc",
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
    scope: str = "contacts",
) -> Page[ContactRow]:
    """One page of the account's contacts that match, how many match in all, and the cursor of
    the next page (`cursor` continues after such a cursor of the same `scope`, see `paging`).

    `where`: the `Database` (a read of its own: one trip to SQLite's thread) or a caller's
    session (its transaction). `sort` is one of `CONTACT_SORTS`; `order` is asc or desc; ties
    break on the id, so offset and keyset paging are stable. Every filter and sort goes through
    an index (migrations 0014, 0023): tags through `contact_tags(tag_id, contact_id)` (see the
    module docstring), text through the trigram index, sorts through `(account_id, sort keys,
    id)`; a page is first chosen as ids, then its rows are loaded."""
    keys = contact_keys(sort, order, dialect_name(where))  # an unknown sort: Invalid before any read
    q = _Query(
        account_id,
        search,
        tags or [],
        company,
        created_from,
        created_to,
        sort,
        order,
        limit,
        offset,
        cursor,
        scope,
    )
    unfiltered = not any(t.strip() for t in q.tags) and not any(
        v for v in (search and search.strip(), company and company.strip(), created_from, created_to)
    )
    anchored = None
    if unfiltered and cursor is None and offset >= contact_anchors.FROM_OFFSET:
        async with reader_session(where) as s:
            anchored = await contact_anchors.deep_page(s, account_id, keys, sort, order, limit, offset)
    return await run_reads(where, lambda tx: _read(tx, q, anchored), one_hop=cursor is None)


def _read(tx: Tx, q: _Query, anchored: list[Any] | None) -> Page[ContactRow]:
    """The whole read of one page (synchronous: on SQLite's thread or a session's connection)."""
    dialect = tx.dialect_name
    text_given = any(v and v.strip() for v in (q.search, q.company))
    unindexed = dialect == "postgresql" and text_given
    ids = lists.tag_ids(tx, q.account_id, q.tags)
    if ids is None:
        return Page([], 0, None)
    sized, everyone, carrying = ([], 0, None) if not ids else lists.rarest_first(tx, q.account_id, ids)
    f = lists.Filters(dialect, q.search, sized, q.company, q.created_from, q.created_to, carrying)
    params = f.params(q.account_id) | {"limit": q.limit + 1, "offset": q.offset}
    if not sized and f.text and q.cursor is None:  # every text match is read to sort them anyway
        # (SQLite: FTS5's rowids; PostgreSQL: the trigram bitmap, the keys made unindexed): count
        # them in the same pass, one read of the matches instead of two
        keys = _keys(q.sort, q.order, dialect, unindexed)
        plan = lists.plan_of(
            ("window", f.shape, q.sort, q.order, unindexed),
            lambda: _limited(
                lists.filtered(select(func.count().over(), *keyset.columns(keys)), f, tags="none"), keys
            ),
        )
        found = tx.execute(plan, params)
        total = int(found[0][0]) if found else 0
        if not found and q.offset:  # past the end: the window saw no row
            total = lists.count_matches(tx, params, f)
        found = [row[1:] for row in found]
    else:
        if (
            sized
            and not f.others
            and f.carrying is not None
            and lists.tag_plan(f, f.carrying, None, q.offset + q.limit, everyone) in ("walk", "hash")
        ):  # the count is known and a walk needs no ids (PostgreSQL read them)
            total, matches = f.carrying, None
        else:
            total, matches = lists.tagged(tx, params, f) if sized else (0, None)
        if sized and not total:
            return Page([], 0, None)
        if f.others or not sized:
            total = lists.count_matches(tx, params, f, matches)
        plan_name = lists.tag_plan(f, total, matches, q.offset + q.limit, everyone) if sized else "none"
        # PostgreSQL sorts the matches found (not the planner's bet) when they drive
        unindexed = unindexed or (plan_name == "drive" and dialect == "postgresql")
        keys = _keys(q.sort, q.order, dialect, unindexed)
        found = anchored
        if found is None:
            given = params | ({"ids": matches} if matches is not None else {})
            found = _page(tx, f, given, q, unindexed, plan_name)
    rows = load_rows(tx, [row[-1] for row in found[: q.limit]])
    return Page(rows, total, keyset.next_cursor(found, keys, q.limit, q.scope))


def _page(
    tx: Tx, f: lists.Filters, params: lists.Params, q: _Query, unindexed: bool, plan_name: str
) -> list[tuple[Any, ...]]:
    """The page's key values (the id last) and one row more, by the shape's statement (after a
    cursor: with the cursor's values added)."""
    ids = "ids" in params
    keys = _keys(q.sort, q.order, f.dialect, unindexed)

    def ordered() -> Select[Any]:
        return lists.filtered(select(*keyset.columns(keys)).select_from(Contact), f, tags=plan_name, ids=ids)

    if q.cursor:
        kinds = tuple(expr.type.python_type for expr, _ in keys)
        after = keyset.after(keys, decode_cursor(q.cursor, q.scope, kinds))
        return tx.execute(Plan(_limited(ordered().where(after), keys)), params)
    plan = lists.plan_of(
        ("page", f.shape, q.sort, q.order, unindexed, plan_name, ids), lambda: _limited(ordered(), keys)
    )
    return tx.execute(plan, params)


def _limited(stmt: Select[Any], keys: keyset.Keys) -> Select[Any]:
    """`stmt` ordered by `keys`, `:limit` rows from `:offset`."""
    return stmt.order_by(*keyset.order_by(keys)).limit(bindparam("limit")).offset(bindparam("offset"))


def _unindexed(expr: Any) -> Any:
    """`expr` in the same order but no sort index's: on PostgreSQL a text search then finds its
    matches through the trigram indexes and sorts them, instead of walking the whole sort index
    and testing every contact (the planner's bet when it underestimates how rare a match is)."""
    if isinstance(expr.type, DateTime):
        return func.date_trunc("microseconds", expr, type_=DateTime(timezone=True))
    return expr.concat(literal_column("''"))


@lru_cache(maxsize=64)
def _keys(sort: str, order: str, dialect: str, unindexed: bool) -> tuple[tuple[Any, bool], ...]:
    """`contact_keys`, or with every key but the id `_unindexed`: built once each."""
    keys = _contact_keys(sort, order, dialect)
    if not unindexed:
        return keys
    return tuple((_unindexed(e), d) for e, d in keys[:-1]) + keys[-1:]


def contact_keys(sort: str, order: str, dialect: str) -> list[tuple[Any, bool]]:
    """The sort keys of the contact list, `(expression, descending)`, ending with the id (the
    columns of the matching `ix_contacts_account_*` index after `account_id`)."""
    if sort not in CONTACT_SORTS or order not in ("asc", "desc"):
        raise Invalid(f"Unknown contact sort {sort!r} {order!r}")
    return list(_contact_keys(sort, order, dialect))


@lru_cache(maxsize=32)
def _contact_keys(sort: str, order: str, dialect: str) -> tuple[tuple[Any, bool], ...]:
    """`contact_keys`, built once per sort (SQL expressions are immutable; building them again
    on every request cost more than the page's query)."""
    exprs: list[Any] = {  # (typed: a cursor's values are checked against the key types)
        "name": [func.lower(Contact.last_name, type_=String), func.lower(Contact.first_name, type_=String)],
        "company": [
            func.lower(func.coalesce(Contact.company, literal_column("''")), type_=String),
            func.lower(Contact.last_name, type_=String),
        ],
        "created_at": [keyset.sortable(Contact.created_at, dialect)],
    }[sort]
    return tuple((e, order == "desc") for e in [*exprs, Contact.id])
