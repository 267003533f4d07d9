"""The native CRM store: contacts, tags and leads, always filtered by account (the contact list
itself is `contact_list` over `crm_lists`, the lead list and the pipeline `lead_reads`, re-exported here)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound
from frontdesk.storage.contact_list import CONTACT_SORTS as CONTACT_SORTS  # the contact list, re-exported
from frontdesk.storage.contact_list import contact_keys as contact_keys
from frontdesk.storage.contact_list import contacts_page as contacts_page
from frontdesk.storage.contact_list import search_contacts as search_contacts
from frontdesk.storage.lead_reads import LEAD_STATUSES as LEAD_STATUSES  # the lead list, re-exported
from frontdesk.storage.lead_reads import LeadRow as LeadRow
from frontdesk.storage.lead_reads import contact_lead_rows as contact_lead_rows
from frontdesk.storage.lead_reads import lead_keys as lead_keys
from frontdesk.storage.lead_reads import lead_row as lead_row
from frontdesk.storage.lead_reads import lead_text_filter as lead_text_filter
from frontdesk.storage.lead_reads import leads_page as leads_page
from frontdesk.storage.lead_reads import pipeline_by_status as pipeline_by_status
from frontdesk.storage.models import Contact, Lead, Tag
from frontdesk.storage.tag_counts import SINGLE, TagCount


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


async def list_leads(
    session: AsyncSession, account_id: str, **filters: Any
) -> tuple[list[LeadRow], int, float]:
    """One page of leads, the number that match and their summed value (see `leads_page`)."""
    page, value = await leads_page(session, account_id, **filters)
    return page.items, page.total, value


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
