"""The lead list and the pipeline, read through statements built once (`storage.read_tx`).

A lead list's statements depend only on its shape — which filters are given, the sort, the
dialect — so they are built once a shape with named bind parameters (`_plans`, kept while the
process runs: at most ~1,500 shapes, 2 dialects x 3 kinds of search x 64 filter sets x 4 sorts)
and the values go in as parameters: the count (from the daily lead rollups for the plain list
and status / source filters, else over the filtered leads) and the page, in one trip to SQLite's
thread (`Database.run_read_tx`). A page after a cursor adds the keyset condition with the
cursor's values to the shape's statement on every call, so it runs through SQLAlchemy's compiled
cache on a session instead of one hop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, literal_column, or_, select, table, text

from frontdesk.errors import NotFound
from frontdesk.paging import Page, decode_cursor
from frontdesk.storage import keyset
from frontdesk.storage.crm_lists import MIN_INDEXED_SEARCH, fts5_string
from frontdesk.storage.models import Lead
from frontdesk.storage.read_tx import Reader, dialect_name, run_reads
from frontdesk.storage.rollups import RecordRollup
from frontdesk.storage.write_tx import Plan, Tx

LEAD_STATUSES = ("new", "contacted", "qualified", "converted")


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead of a list page, its columns as plain values (read with Core: the ORM's entities and
    identity map cost more than the page's query). Read-only: writes go through `crm_write`."""

    id: str
    contact_id: str | None
    name: str
    email: str | None
    phone: str | None
    company: str | None
    status: str
    source: str
    value: float
    notes: str | None
    created_at: datetime
    updated_at: datetime


_LEAD_COLUMNS = [Lead.__table__.c[name] for name in LeadRow.__slots__]  # type: ignore[attr-defined]


def lead_keys(by_value: bool, ascending: bool, dialect: str) -> list[tuple[Any, bool]]:
    """The lead list's sort keys, `(expression, descending)`: newest first, or by value (biggest
    first unless `ascending`), ties by ascending id (the `ix_leads_account_*` keyset indexes)."""
    first = (Lead.value, not ascending) if by_value else (keyset.sortable(Lead.created_at, dialect), True)
    return [first, (Lead.id, False)]


def _text_filter(fts: bool, needle: str | None = None) -> Any:
    """Name, email or company containing the needle: `:lead_match` (an FTS5 string) or `:lead_like`
    (a LIKE pattern), given later as parameters or, with `needle`, as the parameters' values."""
    if fts:
        match = bindparam("lead_match") if needle is None else bindparam("lead_match", fts5_string(needle))
        rowids = (
            select(literal_column("rowid"))
            .select_from(table("leads_fts"))
            .where(text("leads_fts MATCH :lead_match").bindparams(match))
        )
        return literal_column("leads.rowid").in_(rowids)
    like = bindparam("lead_like") if needle is None else bindparam("lead_like", f"%{needle}%")
    return or_(*(func.lower(column).like(like) for column in (Lead.name, Lead.email, Lead.company)))


def _uses_fts(dialect: str, needle: str) -> bool:
    return dialect == "sqlite" and len(needle) >= MIN_INDEXED_SEARCH


def lead_text_filter(dialect: str, value: str) -> Any:
    """Leads whose name, email or company contain `value`, case folded: SQLite through the
    trigram FTS5 table `leads_fts` (migration 0020), PostgreSQL through the `pg_trgm` GIN
    indexes on the same lower-cased columns; needles under 3 characters: LIKE."""
    needle = value.strip().lower()
    return _text_filter(_uses_fts(dialect, needle), needle)


@dataclass(frozen=True, slots=True)
class _Shape:
    dialect: str
    search: str  # "" | "fts" | "like"
    filters: tuple[str, ...]  # of status, source, created_from, created_to, min_value, max_value
    by_value: bool
    ascending: bool


@dataclass(frozen=True, slots=True)
class _Plans:
    totals: Plan  # (count, summed value)
    ordered: Select[Any]  # the page's rows and key values, ordered, not yet limited
    page: Plan  # `ordered` with `:limit` / `:offset`
    keys: list[tuple[Any, bool]]


_CONDITIONS = {
    "status": lambda: Lead.status == bindparam("status"),
    "source": lambda: Lead.source == bindparam("source"),
    "created_from": lambda: Lead.created_at >= bindparam("created_from"),
    "created_to": lambda: Lead.created_at < bindparam("created_to"),
    "min_value": lambda: Lead.value >= bindparam("min_value"),
    "max_value": lambda: Lead.value <= bindparam("max_value"),
}
_PLANS: dict[_Shape, _Plans] = {}


def _plans(shape: _Shape) -> _Plans:
    found = _PLANS.get(shape)
    if found is None:
        found = _PLANS[shape] = _build(shape)
    return found


def _build(shape: _Shape) -> _Plans:
    account = bindparam("account_id")
    # "+": with a text search the FTS5 rowid list drives, not the account's sort index
    fts = shape.search == "fts"
    conds = [literal_column("+leads.account_id") == account if fts else Lead.account_id == account]
    if shape.search:
        conds.append(_text_filter(fts))
    conds += [_CONDITIONS[name]() for name in shape.filters]
    if shape.search or set(shape.filters) - {"status", "source"}:
        totals = select(func.count(), func.coalesce(func.sum(Lead.value), 0.0)).where(*conds)
    else:  # from the daily lead rollups (kept by triggers in each write's transaction)
        roll = [RecordRollup.account_id == account, RecordRollup.kind == "lead"]
        if "status" in shape.filters:
            roll.append(RecordRollup.k2 == bindparam("status"))
        if "source" in shape.filters:
            roll.append(RecordRollup.k1 == bindparam("source"))
        totals = select(
            func.coalesce(func.sum(RecordRollup.n), 0), func.coalesce(func.sum(RecordRollup.value), 0.0)
        ).where(*roll)
    keys = lead_keys(shape.by_value, shape.ascending, shape.dialect)
    ordered = select(*_LEAD_COLUMNS, *keyset.columns(keys)).where(*conds).order_by(*keyset.order_by(keys))
    return _Plans(Plan(totals), ordered, Plan(_limited(ordered)), keys)


def _limited(stmt: Select[Any]) -> Select[Any]:
    return stmt.limit(bindparam("limit")).offset(bindparam("offset"))


async def leads_page(
    where: Reader,
    account_id: str,
    *,
    status: str | None = None,
    source: str | None = None,
    search: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    by_value: bool = False,
    ascending: bool = False,
    limit: int = 50,
    offset: int = 0,
    cursor: str | None = None,
    scope: str = "leads",
) -> tuple[Page[LeadRow], float]:
    """One page of leads (newest first, or by value when `by_value`) with the number that match
    and the cursor of the next page (of this `scope`), and the summed value of all that match.

    `where`: the `Database` (its own read, one trip on SQLite) or a caller's session. `search`
    matches name, email or company through the text index; the value bounds are inclusive. The
    plain list and status / source filters are counted from the lead rollups; other filters
    count the filtered query (through `ix_leads_account_created` for dates)."""
    dialect = dialect_name(where)
    needle = search.strip().lower() if search else ""
    given = {
        "status": status or None,
        "source": source or None,
        "created_from": created_from,
        "created_to": created_to,
        "min_value": min_value,
        "max_value": max_value,
    }
    params: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    search_kind = ("fts" if _uses_fts(dialect, needle) else "like") if needle else ""
    plans = _plans(_Shape(dialect, search_kind, tuple(params), by_value, ascending))
    params |= {"account_id": account_id, "limit": limit + 1, "offset": offset}
    if search_kind == "fts":
        params["lead_match"] = fts5_string(needle)
    elif search_kind:
        params["lead_like"] = f"%{needle}%"
    page = plans.page
    if cursor:
        kinds = tuple(expr.type.python_type for expr, _ in plans.keys)
        after = keyset.after(plans.keys, decode_cursor(cursor, scope, kinds))
        page = Plan(_limited(plans.ordered.where(after)))

    def read(tx: Tx) -> tuple[Sequence[Any], list[tuple[Any, ...]]]:
        return tx.execute(plans.totals, params)[0], tx.execute(page, params)

    (total, value), found = await run_reads(where, read, one_hop=not cursor)
    rows = [LeadRow(*row[: len(_LEAD_COLUMNS)]) for row in found[:limit]]
    return Page(rows, int(total or 0), keyset.next_cursor(found, plans.keys, limit, scope)), float(
        value or 0.0
    )


_PIPELINE = Plan(
    select(RecordRollup.k2, func.sum(RecordRollup.n), func.sum(RecordRollup.value))
    .where(RecordRollup.account_id == bindparam("account_id"), RecordRollup.kind == "lead")
    .group_by(RecordRollup.k2)
    .having(func.sum(RecordRollup.n) > 0)
)


async def pipeline_by_status(where: Reader, account_id: str) -> dict[str, tuple[int, float]]:
    """{status: (count, total value)} for every lead status, zeros included (from the daily lead
    rollups, as `rollups.record_totals(..., "lead", "k2")` reads them: a few rows per day, not
    every lead); statuses outside `LEAD_STATUSES` follow, sorted."""
    rows = await run_reads(where, lambda tx: tx.execute(_PIPELINE, {"account_id": account_id}))
    found = {str(k): (int(n), float(v or 0.0)) for k, n, v in rows}
    return {s: found.get(s, (0, 0.0)) for s in (*LEAD_STATUSES, *sorted(set(found) - set(LEAD_STATUSES)))}


_ONE_LEAD = Plan(
    select(*_LEAD_COLUMNS).where(Lead.id == bindparam("lead_id"), Lead.account_id == bindparam("account_id"))
)
_CONTACT_LEADS = Plan(
    select(*_LEAD_COLUMNS)
    .where(Lead.account_id == bindparam("account_id"), Lead.contact_id == bindparam("contact_id"))
    .order_by(Lead.created_at)
)


async def lead_row(where: Reader, account_id: str, lead_id: str) -> LeadRow:
    """The account's lead `lead_id` as a plain row (`NotFound` if it is not the account's)."""
    found = await run_reads(
        where, lambda tx: tx.execute(_ONE_LEAD, {"lead_id": lead_id, "account_id": account_id})
    )
    if not found:
        raise NotFound(f"Lead {lead_id} not found")
    return LeadRow(*found[0])


async def contact_lead_rows(where: Reader, account_id: str, contact_id: str) -> list[LeadRow]:
    """The account's leads of one contact, oldest first, as plain rows."""
    params = {"account_id": account_id, "contact_id": contact_id}
    return [LeadRow(*row) for row in await run_reads(where, lambda tx: tx.execute(_CONTACT_LEADS, params))]
