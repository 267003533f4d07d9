"""CRM tools over the native CRM store: contacts by search/tags/company/date, leads, pipeline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk.errors import Invalid
from frontdesk.storage import crm as store
from frontdesk.storage.ids import iso
from frontdesk.storage.models import Contact, Lead
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry

MAX_PAGE = 100
LeadStatus = Literal["new", "contacted", "qualified", "converted"]
Limit = Annotated[int, Field(ge=1, le=MAX_PAGE, description=f"Page size, 1-{MAX_PAGE}.")]
Offset = Annotated[int, Field(ge=0, description="Rows to skip.")]
DateFrom = Annotated[date | None, Field(description="Created on or after this day (YYYY-MM-DD, UTC).")]
DateTo = Annotated[date | None, Field(description="Created on or before this day (YYYY-MM-DD, UTC).")]


def _day_range(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    if date_from and date_to and date_from > date_to:
        raise Invalid("created_from is after created_to")
    start = datetime.combine(date_from, time.min, UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, UTC) if date_to else None
    return start, end


def contact_public(c: Contact) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": f"{c.first_name} {c.last_name}".strip(),
        "first_name": c.first_name,
        "last_name": c.last_name,
        "email": c.email,
        "phone": c.phone,
        "company": c.company,
        "position": c.position,
        "tags": [t.name for t in c.tags],
        "status": c.status,
        "created_at": iso(c.created_at),
    }


def lead_public(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "name": lead.name,
        "email": lead.email,
        "company": lead.company,
        "status": lead.status,
        "source": lead.source,
        "value": lead.value,
        "contact_id": lead.contact_id,
        "created_at": iso(lead.created_at),
    }


async def get_contacts(
    ctx: ToolContext,
    search: Annotated[str | None, Field(description="Text matched in name, email or company.")] = None,
    tags: Annotated[list[str] | None, Field(description="Contacts must carry all of these tags.")] = None,
    company: Annotated[str | None, Field(description="Company name (substring match).")] = None,
    created_from: DateFrom = None,
    created_to: DateTo = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Search the account's CRM contacts by text, tags, company and created-date range.

    Returns one page of contacts plus the total number that match."""
    ctx.require("crm.read")
    start, end = _day_range(created_from, created_to)
    async with ctx.db.session() as s:
        rows, total = await store.search_contacts(
            s,
            ctx.principal.account_id,
            search=search,
            tags=tags,
            company=company,
            created_from=start,
            created_to=end,
            limit=limit,
            offset=offset,
        )
    return {
        "contacts": [contact_public(c) for c in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
        "has_more": offset + len(rows) < total,
    }


async def get_contact_detail(
    ctx: ToolContext, contact_id: Annotated[str, Field(description="The contact's id, e.g. contact:…")]
) -> dict[str, Any]:
    """Get one contact with its tags, notes and leads."""
    ctx.require("crm.read")
    async with ctx.db.session() as s:
        contact = await store.get_contact(s, ctx.principal.account_id, contact_id)
        leads = await store.leads_for_contact(s, ctx.principal.account_id, contact_id)
    detail = contact_public(contact)
    detail.update(
        notes=contact.notes,
        last_contact_date=iso(contact.last_contact_date),
        leads=[lead_public(lead) for lead in leads],
    )
    return detail


async def list_leads(
    ctx: ToolContext,
    status: Annotated[LeadStatus | None, Field(description="Lead status.")] = None,
    source: Annotated[str | None, Field(description="Lead source, e.g. website, referral, social.")] = None,
    created_from: DateFrom = None,
    created_to: DateTo = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> dict[str, Any]:
    """List the account's sales leads, filtered by status, source and created-date range."""
    ctx.require("crm.read")
    start, end = _day_range(created_from, created_to)
    async with ctx.db.session() as s:
        rows, total, value = await store.list_leads(
            s,
            ctx.principal.account_id,
            status=status,
            source=source.strip().lower() if source else None,
            created_from=start,
            created_to=end,
            limit=limit,
            offset=offset,
        )
    return {
        "leads": [lead_public(lead) for lead in rows],
        "total": total,
        "total_value": value,
        "limit": limit,
        "offset": offset,
        "has_more": offset + len(rows) < total,
    }


async def pipeline_summary(ctx: ToolContext) -> dict[str, Any]:
    """Summarise the sales pipeline: number of leads and total value per status."""
    ctx.require("crm.read")
    async with ctx.db.session() as s:
        by_status = await store.pipeline_by_status(s, ctx.principal.account_id)
    stages = [{"status": k, "count": n, "value": v} for k, (n, v) in by_status.items()]
    total = sum(st["count"] for st in stages)
    converted = by_status.get("converted", (0, 0.0))[0]
    return {
        "stages": stages,
        "total_leads": total,
        "total_value": sum(st["value"] for st in stages),
        "open_value": sum(st["value"] for st in stages if st["status"] != "converted"),
        "conversion_rate": round(converted / total, 4) if total else 0.0,
    }


def register(registry: ToolRegistry) -> None:
    registry.add(get_contacts, permission="crm.read")
    registry.add(get_contact_detail, permission="crm.read")
    registry.add(list_leads, permission="crm.read")
    registry.add(pipeline_summary, permission="crm.read")
