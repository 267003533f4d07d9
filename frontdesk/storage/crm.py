"""The native CRM store: contacts, tags and leads, always filtered by account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Select, String, func, intersect, literal_column, or_, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, NotFound
from frontdesk.paging import Page
from frontdesk.storage import keyset, rollups
from frontdesk.storage.models import Contact, ContactTag, Lead, Tag
from frontdesk.storage.rollups import RecordRollup

LEAD_STATUSES = ("new", "contacted", "qualified", "converted")
CONTACT_SORTS = ("name", "company", "created_at")


_FULL_NAME = func.lower(Contact.first_name + literal_column("' '") + Contact.last_name)
MIN_INDEXED_SEARCH = 3  # the trigram indexes answer substrings of 3+ characters; shorter: LIKE


def _fts5_string(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _text_filter(dialect: str, value: str, *, company_only: bool) -> Any:
    """Contacts whose name, email or company (or only company) contain `value`, case folded.

    SQLite: the trigram FTS5 table `contacts_fts` (migration 0014) yields the rowids; PostgreSQL:
    the same LIKE over `pg_trgm` GIN indexes on these lower-cased expressions."""
    needle = value.strip().lower()
    if dialect == "sqlite" and len(needle) >= MIN_INDEXED_SEARCH:
        match = ("company : " if company_only else "") + _fts5_string(needle)
        rowids = (
            select(literal_column("rowid"))
            .select_from(table("contacts_fts"))
            .where(text("contacts_fts MATCH :contact_match").bindparams(contact_match=match))
        )
        return literal_column("contacts.rowid").in_(rowids)
    like = f"%{needle}%"
    if company_only:
        return func.lower(Contact.company).like(like)
    return or_(
        _FULL_NAME.like(like), func.lower(Contact.email).like(like), func.lower(Contact.company).like(like)
    )


async def _tag_ids(session: AsyncSession, account_id: str, tags: list[str]) -> list[str] | None:
    """The ids of the named tags (case folded), or None when one of them does not exist."""
    wanted = {t.strip().lower() for t in tags if t.strip()}
    if not wanted:
        return []
    rows = await session.execute(
        select(func.lower(Tag.name), Tag.id).where(
            Tag.account_id == account_id, func.lower(Tag.name).in_(wanted)
        )
    )
    found = dict(rows.all())
    return [found[t] for t in sorted(wanted)] if set(found) == wanted else None


def _contact_filters(
    stmt: Select[Any],
    account_id: str,
    *,
    dialect: str,
    search: str | None,
    tag_ids: list[str],
    company: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
    drive: bool = True,
) -> Select[Any]:
    indexed = (bool(tag_ids) and drive) or any(
        v and len(v.strip()) >= MIN_INDEXED_SEARCH for v in (search, company)
    )
    if dialect == "sqlite" and indexed:  # "+": let the tag / FTS5 rowid lists drive, not the account index
        stmt = stmt.where(literal_column("+contacts.account_id") == account_id)
    else:
        stmt = stmt.where(Contact.account_id == account_id)
    if search and search.strip():
        stmt = stmt.where(_text_filter(dialect, search, company_only=False))
    if company and company.strip():
        stmt = stmt.where(_text_filter(dialect, company, company_only=True))
    for tag_id in tag_ids:  # a contact must carry every tag asked for
        if drive:  # the tag's contacts (the tag index) drive
            stmt = stmt.where(
                Contact.id.in_(select(ContactTag.contact_id).where(ContactTag.tag_id == tag_id))
            )
        else:  # the sort index drives; each contact is probed in the link table's primary key
            link = select(ContactTag.contact_id).where(
                ContactTag.contact_id == Contact.id, ContactTag.tag_id == tag_id
            )
            stmt = stmt.where(link.exists())
    if created_from:
        stmt = stmt.where(Contact.created_at >= created_from)
    if created_to:
        stmt = stmt.where(Contact.created_at < created_to)
    return stmt


TAG_DRIVES_BELOW = 2_000  # a tag with fewer contacts drives the page query; a broader one is probed


async def _count_contacts(session: AsyncSession, account_id: str, filters: dict[str, Any]) -> int:
    """How many contacts match: the daily contact rollups when nothing filters, the tag index
    alone when only tags do (links only join a contact to a tag of its own account), else a
    count over the filtered query."""
    others = any(filters[k] for k in ("search", "company", "created_from", "created_to"))
    tag_ids: list[str] = filters["tag_ids"]
    if not others and not tag_ids:
        found = await rollups.record_totals(session, account_id, "contact", "k1")
        return sum(n for n, _ in found.values())
    if not others and len(tag_ids) == 1:
        stmt = select(func.count()).select_from(ContactTag).where(ContactTag.tag_id == tag_ids[0])
        return int(await session.scalar(stmt) or 0)
    if not others:  # each tag's links in contact order from `(tag_id, contact_id)`, merged: one
        # pass over both index ranges instead of a probe per link of one tag (the ORDER BY is
        # what makes SQLite merge; PostgreSQL hashes)
        links = [select(ContactTag.contact_id).where(ContactTag.tag_id == tag_id) for tag_id in tag_ids]
        both = intersect(*links).order_by(literal_column("contact_id")).subquery()
        return int(await session.scalar(select(func.count()).select_from(both)) or 0)
    stmt = _contact_filters(select(func.count()).select_from(Contact), account_id, **filters)
    return int(await session.scalar(stmt) or 0)


async def search_contacts(
    session: AsyncSession, account_id: str, **filters: Any
) -> tuple[list[Contact], int]:
    """One page of the account's contacts that match and how many match in all (the arguments of
    `contacts_page`)."""
    page = await contacts_page(session, account_id, **filters)
    return page.items, page.total


async def contacts_page(
    session: AsyncSession,
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
) -> Page[Contact]:
    """One page of the account's contacts that match, how many match in all, and the cursor of
    the next page (`cursor` continues after such a cursor of the same `scope`, see `paging`).

    `sort` is one of `CONTACT_SORTS`; `order` is asc or desc; ties break on the id, so offset and
    keyset paging are stable. Every filter and sort goes through an index (migration 0014): tags
    through `contact_tags(tag_id)`, text through the trigram index, sorts through
    `(account_id, sort keys, id)`; a page is first chosen as ids from the index alone (a deep
    offset skips index entries, not rows; a key seeks straight to its place), then its rows are
    loaded."""
    dialect = session.get_bind().dialect.name
    keys = contact_keys(sort, order, dialect)
    if dialect == "postgresql" and any(v and v.strip() for v in (search, company)):
        keys = [(_unindexed(e), d) for e, d in keys[:-1]] + keys[-1:]
    tag_ids = await _tag_ids(session, account_id, tags or [])
    if tag_ids is None:
        return Page([], 0, None)
    filters = {
        "dialect": dialect,
        "search": search,
        "tag_ids": tag_ids,
        "company": company,
        "created_from": created_from,
        "created_to": created_to,
    }
    text_only = not tag_ids and any(filters[k] for k in ("search", "company")) and cursor is None
    if text_only and dialect == "sqlite":  # every FTS5 match is read to sort them anyway: count
        # them in the same pass (PostgreSQL: a window makes it walk the sort index instead)
        stmt = _contact_filters(select(func.count().over(), *keyset.columns(keys)), account_id, **filters)
        found = (await session.execute(keyset.page(stmt, keys, None, scope, limit, offset))).all()
        total = int(found[0][0]) if found else 0
        if not found and offset:  # past the end: the window saw no row
            total = await _count_contacts(session, account_id, filters)
    else:
        total = await _count_contacts(session, account_id, filters)
        stmt = _contact_filters(  # a broad tag: walk the sort index, probing the tag's contacts
            select(*keyset.columns(keys)), account_id, **filters, drive=total <= TAG_DRIVES_BELOW
        )
        found = (await session.execute(keyset.page(stmt, keys, cursor, scope, limit, offset))).all()
    ids = [row[-1] for row in found[:limit]]
    rows = {c.id: c for c in await session.scalars(select(Contact).where(Contact.id.in_(ids)))} if ids else {}
    return Page([rows[i] for i in ids if i in rows], total, keyset.next_cursor(found, keys, limit, scope))


def _unindexed(expr: Any) -> Any:
    """`expr` in the same order but no sort index's: on PostgreSQL a text search then finds its
    matches through the trigram indexes and sorts them, instead of walking the whole sort index
    and testing every contact (the planner's bet when it underestimates how rare a match is)."""
    if isinstance(expr.type, DateTime):
        return func.date_trunc("microseconds", expr, type_=DateTime(timezone=True))
    return expr.concat(literal_column("''"))


def contact_keys(sort: str, order: str, dialect: str) -> list[tuple[Any, bool]]:
    """The sort keys of the contact list, `(expression, descending)`, ending with the id (the
    columns of the matching `ix_contacts_account_*` index after `account_id`)."""
    if sort not in CONTACT_SORTS or order not in ("asc", "desc"):
        raise Invalid(f"Unknown contact sort {sort!r} {order!r}")
    exprs: list[Any] = {  # (typed: a cursor's values are checked against the key types)
        "name": [func.lower(Contact.last_name, type_=String), func.lower(Contact.first_name, type_=String)],
        "company": [
            func.lower(func.coalesce(Contact.company, literal_column("''")), type_=String),
            func.lower(Contact.last_name, type_=String),
        ],
        "created_at": [keyset.sortable(Contact.created_at, dialect)],
    }[sort]
    return [(e, order == "desc") for e in [*exprs, Contact.id]]


async def get_contact(session: AsyncSession, account_id: str, contact_id: str) -> Contact:
    contact = await session.get(Contact, contact_id)
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
    """Tags of the account with the number of contacts carrying each, ordered by name."""
    conds = [Tag.account_id == account_id]
    if search:
        conds.append(func.lower(Tag.name).like(f"%{search.strip().lower()}%"))
    total = await session.scalar(select(func.count()).select_from(Tag).where(*conds))
    counts = select(ContactTag.tag_id, func.count().label("n")).group_by(ContactTag.tag_id).subquery()
    rows = await session.execute(
        select(Tag, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.tag_id == Tag.id)
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


async def list_leads(session: AsyncSession, account_id: str, **filters: Any) -> tuple[list[Lead], int, float]:
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
            .where(text("leads_fts MATCH :lead_match").bindparams(lead_match=_fts5_string(needle)))
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
) -> tuple[Page[Lead], float]:
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
    stmt = select(Lead, *keyset.columns(keys)).where(*conds)
    found = (await session.execute(keyset.page(stmt, keys, cursor, scope, limit, offset))).all()
    rows = [row[0] for row in found[:limit]]
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
