"""The native CRM store: contacts, tags and leads, always filtered by account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, NotFound
from frontdesk.storage.models import Contact, ContactTag, Lead, Tag

LEAD_STATUSES = ("new", "contacted", "qualified", "converted")
CONTACT_SORTS = ("name", "company", "created_at")


def _contact_filters(
    stmt: Select[Any],
    account_id: str,
    *,
    search: str | None,
    tags: list[str] | None,
    company: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
) -> Select[Any]:
    stmt = stmt.where(Contact.account_id == account_id)
    if search:
        like = f"%{search.strip().lower()}%"
        full_name = func.lower(Contact.first_name + " " + Contact.last_name)
        stmt = stmt.where(
            or_(
                full_name.like(like),
                func.lower(Contact.email).like(like),
                func.lower(Contact.company).like(like),
            )
        )
    if company:
        stmt = stmt.where(func.lower(Contact.company).like(f"%{company.strip().lower()}%"))
    for tag in tags or []:  # a contact must carry every tag asked for
        stmt = stmt.where(
            Contact.id.in_(
                select(ContactTag.contact_id)
                .join(Tag, Tag.id == ContactTag.tag_id)
                .where(Tag.account_id == account_id, func.lower(Tag.name) == tag.strip().lower())
            )
        )
    if created_from:
        stmt = stmt.where(Contact.created_at >= created_from)
    if created_to:
        stmt = stmt.where(Contact.created_at < created_to)
    return stmt


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
    paging is stable."""
    filters = {
        "search": search,
        "tags": tags,
        "company": company,
        "created_from": created_from,
        "created_to": created_to,
    }
    total = await session.scalar(
        _contact_filters(select(func.count()).select_from(Contact), account_id, **filters)
    )
    rows = await session.scalars(
        _contact_filters(select(Contact), account_id, **filters)
        .order_by(*_contact_order(sort, order))
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


def _contact_order(sort: str, order: str) -> list[Any]:
    if sort not in CONTACT_SORTS or order not in ("asc", "desc"):
        raise Invalid(f"Unknown contact sort {sort!r} {order!r}")
    keys: list[Any] = {
        "name": [func.lower(Contact.last_name), func.lower(Contact.first_name)],
        "company": [func.lower(func.coalesce(Contact.company, "")), func.lower(Contact.last_name)],
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
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Lead], int, float]:
    """One page of leads (newest first), the number that match, and the summed value of all that
    match. `search` matches name, email or company."""
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
    total, value = (
        await session.execute(select(func.count(), func.coalesce(func.sum(Lead.value), 0.0)).where(*conds))
    ).one()
    rows = await session.scalars(
        select(Lead).where(*conds).order_by(Lead.created_at.desc(), Lead.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0), float(value)


async def pipeline_by_status(session: AsyncSession, account_id: str) -> dict[str, tuple[int, float]]:
    """{status: (count, total value)} for every lead status, zeros included."""
    rows = await session.execute(
        select(Lead.status, func.count(), func.coalesce(func.sum(Lead.value), 0.0))
        .where(Lead.account_id == account_id)
        .group_by(Lead.status)
    )
    found = {status: (int(n), float(v)) for status, n, v in rows.all()}
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
