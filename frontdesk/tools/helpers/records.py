"""The CRM records a helper run works on, found through the native store and scoped to the
run's account, plus the tag edits several helper types share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import select

from frontdesk.errors import Invalid, NotFound
from frontdesk.storage import crm
from frontdesk.storage.crm_write import tags_by_name as ensure_tags
from frontdesk.storage.ids import iso, utcnow
from frontdesk.storage.models import Contact, Lead
from frontdesk.tools.helpers.base import HelperInput, HelperRun

ContactText = Literal["first_name", "last_name", "email", "phone", "company", "position", "status", "notes"]
LeadText = Literal["name", "email", "phone", "company", "status", "source", "notes"]
TagName = str


async def contact_for(ctx: HelperRun, inp: HelperInput) -> Contact:
    if not inp.contact_id:
        raise Invalid("contact_id is required")
    return await crm.get_contact(ctx.session, ctx.account_id, inp.contact_id)


async def lead_for(ctx: HelperRun, inp: HelperInput) -> Lead:
    """The lead named by `lead_id`, else the newest lead of the contact."""
    if inp.lead_id:
        return await crm.get_lead(ctx.session, ctx.account_id, inp.lead_id)
    if not inp.contact_id:
        raise Invalid("lead_id (or a contact_id with a lead) is required")
    await crm.get_contact(ctx.session, ctx.account_id, inp.contact_id)
    lead = await ctx.session.scalar(
        select(Lead)
        .where(Lead.account_id == ctx.account_id, Lead.contact_id == inp.contact_id)
        .order_by(Lead.created_at.desc(), Lead.id.desc())
        .limit(1)
    )
    if lead is None:
        raise NotFound(f"Contact {inp.contact_id} has no lead")
    return lead


async def edit_tags(
    ctx: HelperRun, contact: Contact, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """Add and remove tags (case-insensitive; tags are created on first use). Returns the names
    actually added and removed."""
    drop = {n.strip().lower() for n in remove if n.strip()}
    removed = [t.name for t in contact.tags if t.name.lower() in drop]
    kept = [t for t in contact.tags if t.name.lower() not in drop]
    have = {t.name.lower() for t in kept}
    new = [t for t in await ensure_tags(ctx.session, ctx.account_id, add) if t.name.lower() not in have]
    if new or removed:
        contact.tags = kept + new
        contact.updated_at = utcnow()
    return [t.name for t in new], removed


def contact_summary(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "phone": c.phone,
        "company": c.company,
        "position": c.position,
        "status": c.status,
        "tags": sorted(t.name for t in c.tags),
        "last_contact_date": iso(c.last_contact_date),
        "created_at": iso(c.created_at),
    }
