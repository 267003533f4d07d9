"""The native CRM store: contacts, tags and leads, always filtered by account (the contact list
itself is `crm_lists`, re-exported here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, or_, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound
from frontdesk.paging import Page
from frontdesk.storage import keyset, rollups
from frontdesk.storage.crm_lists import CONTACT_SORTS as CONTACT_SORTS  # the contact list, re-exported
from frontdesk.storage.crm_lists import MIN_INDEXED_SEARCH, fts5_string
from frontdesk.storage.crm_lists import contact_keys as contact_keys
from frontdesk.storage.crm_lists import contacts_page as contacts_page
from frontdesk.storage.crm_lists import search_contacts as search_contacts
from frontdesk.storage.models import Contact, Lead, Tag
from frontdesk.storage.rollups import RecordRollup
from frontdesk.storage.tag_counts import SINGLE, TagCount

LEAD_STATUSES = ("new", "contacted", "qualified", "converted")


async def get_contact(
    session: AsyncSession, account_id: str, contact_id: str, *, reload: bool = False
) -> Contact:
    """The account's contact with its tags (`reload`: read again even if the session has it)."""
    contact = await session.get(Contact, contact_id, populate_existing=reload)
    if contact is None or contact.account_id != account_id:
        raise NotFound(f"Contact {contact_id} not found")
    return contact


async def get_lead(session: AsyncSession, account_id: str, lead_id: str) -> Lead:
    lead = await session.get(Lead, lead_id)
    if lead is None or lead.account_id != account_id:
        raise NotFound(f"Lead {lead_id} not found")
    return lead


async def get_tag(session: AsyncSession, account_id: str, tag_id: str) -> Tag:
    tag = await session.get(Tag, tag_id)
    if tag is None or tag.account_id != account_id:
        raise NotFound(f"Tag {tag_id} not found")
    return tag


async def list_tags(
    session: AsyncSession, account_id: str, *, search: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[tuple[Tag, int]], int]:
    """Tags of the account with the number of contacts carrying each (kept in `tag_counts`),
    ordered by name."""
    conds = [Tag.account_id == account_id]
    if search:
        conds.append(func.lower(Tag.name).like(f"%{search.strip().lower()}%"))
    total = await session.scalar(select(func.count()).select_from(Tag).where(*conds))
    rows = await session.execute(
        select(Tag, func.coalesce(TagCount.n, 0))
        .outerjoin(TagCount, (TagCount.tag_id == Tag.id) & (TagCount.other_id == SINGLE))
        .where(*conds)
        .order_by(Tag.name, Tag.id)
        .limit(limit)
        .offset(offset)
    )
    return [(t, int(n)) for t, n in rows.all()], int(total or 0)


async def leads_for_contact(session: AsyncSession, account_id: str, contact_id: str) -> list[Lead]:
    rows = await session.scalars(
        select(Lead)
        .where(Lead.account_id == account_id, Lead.contact_id == contact_id)
        .order_by(Lead.created_at)
    )
    return list(rows)


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


async def list_leads(
    session: AsyncSession, account_id: str, **filters: Any
) -> tuple[list[LeadRow], int, float]:
    """One page of leads, the number that match and their summed value (see `leads_page`)."""
    page, value = await leads_page(session, account_id, **filters)
    return page.items, page.total, value


def lead_keys(by_value: bool, ascending: bool, dialect: str) -> list[tuple[Any, bool]]:
    """The lead list's sort keys, `(expression, descending)`: newest first, or by value (biggest
    first unless `ascending`), ties by ascending id (the `ix_leads_account_*` keyset indexes)."""
    first = (Lead.value, not ascending) if by_value else (keyset.sortable(Lead.created_at, dialect), True)
    return [first, (Lead.id, False)]


def lead_text_filter(dialect: str, value: str) -> Any:
    """Leads whose name, email or company contain `value`, case folded: SQLite through the
    trigram FTS5 table `leads_fts` (migration 0020), PostgreSQL through the `pg_trgm` GIN
    indexes on the same lower-cased columns; needles under 3 characters: LIKE."""
    needle = value.strip().lower()
    if dialect == "sqlite" and len(needle) >= MIN_INDEXED_SEARCH:
        rowids = (
            select(literal_column("rowid"))
            .select_from(table("leads_fts"))
            .where(text("leads_fts MATCH :lead_match").bindparams(lead_match=fts5_string(needle)))
        )
        return literal_column("leads.rowid").in_(rowids)
    like = f"%{needle}%"
    return or_(
        func.lower(Lead.name).like(like),
        func.lower(Lead.email).like(like),
        func.lower(Lead.company).like(like),
    )


async def _lead_totals(
    session: AsyncSession, account_id: str, status: str | None, source: str | None
) -> tuple[int, float]:
    """(count, summed value) of the account's leads of this status / source from the daily lead
    rollups (kept by triggers in each write's transaction): a few rows per day, not every lead."""
    conds = [RecordRollup.account_id == account_id, RecordRollup.kind == "lead"]
    if status:
        conds.append(RecordRollup.k2 == status)
    if source:
        conds.append(RecordRollup.k1 == source)
    n, value = (
        await session.execute(
            select(
                func.coalesce(func.sum(RecordRollup.n), 0), func.coalesce(func.sum(RecordRollup.value), 0.0)
            ).where(*conds)
        )
    ).one()
    return int(n), float(value)


async def leads_page(
    session: AsyncSession,
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

    `search` matches name, email or company through the text index; the value bounds are
    inclusive. The plain list and status / source filters are counted from the lead rollups;
    other filters count the filtered query (through `ix_leads_account_created` for dates)."""
    dialect = session.get_bind().dialect.name
    text_search = bool(search and search.strip())
    fts = text_search and dialect == "sqlite" and len(search.strip()) >= MIN_INDEXED_SEARCH  # type: ignore[union-attr]
    # "+": with a text search the FTS5 rowid list drives, not the account's sort index
    conds = [literal_column("+leads.account_id") == account_id if fts else Lead.account_id == account_id]
    if text_search:
        conds.append(lead_text_filter(dialect, search))  # type: ignore[arg-type]
    if status:
        conds.append(Lead.status == status)
    if source:
        conds.append(Lead.source == source)
    if created_from:
        conds.append(Lead.created_at >= created_from)
    if created_to:
        conds.append(Lead.created_at < created_to)
    if min_value is not None:
        conds.append(Lead.value >= min_value)
    if max_value is not None:
        conds.append(Lead.value <= max_value)
    if not (text_search or created_from or created_to or min_value is not None or max_value is not None):
        total, value = await _lead_totals(session, account_id, status, source)
    else:
        total, value = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(Lead.value), 0.0)).where(*conds)
            )
        ).one()
    keys = lead_keys(by_value, ascending, dialect)
    stmt = select(*_LEAD_COLUMNS, *keyset.columns(keys)).where(*conds)
    found = (await session.execute(keyset.page(stmt, keys, cursor, scope, limit, offset))).all()
    rows = [LeadRow(*row[: len(_LEAD_COLUMNS)]) for row in found[:limit]]
    return Page(rows, int(total or 0), keyset.next_cursor(found, keys, limit, scope)), float(value)


async def pipeline_by_status(session: AsyncSession, account_id: str) -> dict[str, tuple[int, float]]:
    """{status: (count, total value)} for every lead status, zeros included (from the daily lead
    rollups: a few rows per day, not every lead)."""
    found = await rollups.record_totals(session, account_id, "lead", "k2")
    return {s: found.get(s, (0, 0.0)) for s in (*LEAD_STATUSES, *sorted(set(found) - set(LEAD_STATUSES)))}


async def distinct_values(session: AsyncSession, account_id: str) -> dict[str, list[str]]:
    """Vocabulary of the account's CRM (tag names, lead sources, companies) for the offline planner."""
    tags = await session.scalars(select(Tag.name).where(Tag.account_id == account_id).order_by(Tag.name))
    sources = await session.scalars(
        select(Lead.source).where(Lead.account_id == account_id).distinct().order_by(Lead.source)
    )
    companies = await session.scalars(
        select(Contact.company)
        .where(Contact.account_id == account_id, Contact.company.is_not(None))
        .distinct()
        .order_by(Contact.company)
        .limit(2000)
    )
    return {"tags": list(tags), "sources": list(sources), "companies": [c for c in companies if c]}
