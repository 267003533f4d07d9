"""The native CRM store: contacts, tags and leads, always filtered by account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal_column, or_, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from frontdesk.errors import Invalid, NotFound
from frontdesk.storage import rollups
from frontdesk.storage.models import Contact, ContactTag, Lead, Tag

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
    if not others:
        first = aliased(ContactTag)
        also = [  # the other tags probed in the link table's primary key (contact_id, tag_id)
            select(ContactTag.contact_id)
            .where(ContactTag.contact_id == first.contact_id, ContactTag.tag_id == tag_id)
            .exists()
            for tag_id in tag_ids[1:]
        ]
        stmt = select(func.count()).select_from(first).where(first.tag_id == tag_ids[0], *also)
        return int(await session.scalar(stmt) or 0)
    stmt = _contact_filters(select(func.count()).select_from(Contact), account_id, **filters)
    return int(await session.scalar(stmt) or 0)


async def search_contacts(
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
) -> tuple[list[Contact], int]:
    """One page of the account's contacts that match, and how many match in all.

    `sort` is one of `CONTACT_SORTS`; `order` is asc or desc; ties break on the id, so offset
    paging is stable. Every filter and sort goes through an index (migration 0014): tags through
    `contact_tags(tag_id)`, text through the trigram index, sorts through
    `(account_id, sort keys, id)`; a page is first chosen as ids from the index alone (a deep
    offset skips index entries, not rows), then its rows are loaded."""
    order_by = _contact_order(sort, order)
    tag_ids = await _tag_ids(session, account_id, tags or [])
    if tag_ids is None:
        return [], 0
    filters = {
        "dialect": session.get_bind().dialect.name,
        "search": search,
        "tag_ids": tag_ids,
        "company": company,
        "created_from": created_from,
        "created_to": created_to,
    }
    total = await _count_contacts(session, account_id, filters)
    ids = list(
        await session.scalars(  # a broad tag: walk the sort index, probing the tag's contacts
            _contact_filters(select(Contact.id), account_id, **filters, drive=total <= TAG_DRIVES_BELOW)
            .order_by(*order_by)
            .limit(limit)
            .offset(offset)
        )
    )
    rows = {c.id: c for c in await session.scalars(select(Contact).where(Contact.id.in_(ids)))} if ids else {}
    return [rows[i] for i in ids if i in rows], total


def _contact_order(sort: str, order: str) -> list[Any]:
    if sort not in CONTACT_SORTS or order not in ("asc", "desc"):
        raise Invalid(f"Unknown contact sort {sort!r} {order!r}")
    keys: list[Any] = {
        "name": [func.lower(Contact.last_name), func.lower(Contact.first_name)],
        "company": [
            func.lower(func.coalesce(Contact.company, literal_column("''"))),
            func.lower(Contact.last_name),
        ],
        "created_at": [Contact.created_at],
    }[sort]
    keys = [k.desc() if order == "desc" else k.asc() for k in keys]
    return [*keys, Contact.id.desc() if order == "desc" else Contact.id.asc()]


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


async def list_leads(
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
) -> tuple[list[Lead], int, float]:
    """One page of leads (newest first, or by value when `by_value`), the number that match, and
    the summed value of all that match. `search` matches name, email or company; the value bounds
    are inclusive."""
    conds = [Lead.account_id == account_id]
    if search:
        like = f"%{search.strip().lower()}%"
        conds.append(
            or_(
                func.lower(Lead.name).like(like),
                func.lower(Lead.email).like(like),
                func.lower(Lead.company).like(like),
            )
        )
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
    total, value = (
        await session.execute(select(func.count(), func.coalesce(func.sum(Lead.value), 0.0)).where(*conds))
    ).one()
    order = (Lead.value.asc() if ascending else Lead.value.desc()) if by_value else Lead.created_at.desc()
    rows = await session.scalars(
        select(Lead).where(*conds).order_by(order, Lead.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0), float(value)


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
