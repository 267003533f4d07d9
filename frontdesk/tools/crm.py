"""CRM read tools over the native CRM store: contacts by search/tags/company/date, leads, pipeline.

`register` adds the whole CRM family: these, the write tools (`crm_write`) and the connection
tools (`crm_connections`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk.errors import Invalid
from frontdesk.paging import cursor_scope, page_fields
from frontdesk.storage import crm as store
from frontdesk.tools import crm_connections, crm_write
from frontdesk.tools.base import ToolContext
from frontdesk.tools.crm_records import (
    MAX_PAGE,
    MAX_TAGS,
    ContactId,
    DateFrom,
    DateTo,
    LeadId,
    LeadStatus,
    Limit,
    Offset,
    TagName,
    contact_public,
    lead_public,
)
from frontdesk.tools.registry import ToolRegistry

__all__ = ["MAX_PAGE", "contact_public", "lead_public", "register"]
ContactSort = Literal["name", "company", "created_at"]
Cursor = Annotated[
    str | None,
    Field(
        max_length=2000,
        description="`next_cursor` of the previous page: continue right after it (faster than a deep "
        "offset; use with offset 0 and the same filters and sort).",
    ),
]


def _check_paging(cursor: str | None, offset: int) -> None:
    if cursor and offset:
        raise Invalid("Give either a cursor or an offset, not both")


def _day_range(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    if date_from and date_to and date_from > date_to:
        raise Invalid("created_from is after created_to")
    start = datetime.combine(date_from, time.min, UTC) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, UTC) if date_to else None
    return start, end


async def get_contacts(
    ctx: ToolContext,
    search: Annotated[
        str | None, Field(max_length=200, description="Text matched in name, email or company.")
    ] = None,
    tags: Annotated[
        list[TagName] | None, Field(max_length=MAX_TAGS, description="Contacts must carry all of these tags.")
    ] = None,
    company: Annotated[
        str | None, Field(max_length=200, description="Company name (substring match).")
    ] = None,
    created_from: DateFrom = None,
    created_to: DateTo = None,
    sort: Annotated[
        ContactSort, Field(description="Order by name (last, then first), company or created_at.")
    ] = "name",
    order: Annotated[Literal["asc", "desc"], Field(description="Sort direction.")] = "asc",
    limit: Limit = 25,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Search the account's CRM contacts by text, tags, company and created-date range.

    Returns one page of contacts, the total number that match, and `next_cursor` (null on the
    last page) to fetch the page after it."""
    ctx.require("crm.read")
    _check_paging(cursor, offset)
    start, end = _day_range(created_from, created_to)
    wanted = sorted({t.strip().lower() for t in tags or [] if t.strip()})
    scope = cursor_scope(
        "contacts", ctx.principal.account_id, search, wanted, company, start, end, sort, order
    )
    page = await store.contacts_page(
        ctx.db,
        ctx.principal.account_id,
        search=search,
        tags=tags,
        company=company,
        created_from=start,
        created_to=end,
        sort=sort,
        order=order,
        limit=limit,
        offset=offset,
        cursor=cursor,
        scope=scope,
    )
    return {
        "contacts": [contact_public(c) for c in page.items],
        **page_fields(page.total, limit, offset, len(page.items), has_more=page.next_cursor is not None),
        "next_cursor": page.next_cursor,
    }


async def get_contact_detail(ctx: ToolContext, contact_id: ContactId) -> dict[str, Any]:
    """Get one contact with its tags, notes and leads."""
    ctx.require("crm.read")
    async with ctx.db.session() as s:
        contact = await store.get_contact(s, ctx.principal.account_id, contact_id)
        leads = await store.contact_lead_rows(s, ctx.principal.account_id, contact_id)
    return contact_public(contact) | {"leads": [lead_public(lead) for lead in leads]}


async def list_leads(
    ctx: ToolContext,
    status: Annotated[LeadStatus | None, Field(description="Lead status.")] = None,
    source: Annotated[
        str | None, Field(max_length=32, description="Lead source, e.g. website, referral, social.")
    ] = None,
    search: Annotated[
        str | None, Field(max_length=200, description="Text matched in name, email or company.")
    ] = None,
    created_from: DateFrom = None,
    created_to: DateTo = None,
    min_value: Annotated[float | None, Field(ge=0, description="Only leads worth at least this.")] = None,
    max_value: Annotated[float | None, Field(ge=0, description="Only leads worth at most this.")] = None,
    sort: Annotated[
        Literal["created_at", "value"], Field(description="Newest first, or by value (see order).")
    ] = "created_at",
    order: Annotated[Literal["asc", "desc"], Field(description="Direction of a sort by value.")] = "desc",
    limit: Limit = 25,
    offset: Offset = 0,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """List the account's sales leads, filtered by status, source, created-date range and value
    range, newest first or by value (biggest first by default); `next_cursor` (null on the last
    page) fetches the page after."""
    ctx.require("crm.read")
    _check_paging(cursor, offset)
    start, end = _day_range(created_from, created_to)
    source = source.strip().lower() if source else None
    by_value, ascending = sort == "value", order == "asc"
    scope = cursor_scope(
        "leads",
        ctx.principal.account_id,
        status,
        source,
        search,
        start,
        end,
        min_value,
        max_value,
        by_value,
        ascending and by_value,
    )
    page, value = await store.leads_page(  # its own read: one trip to SQLite's thread (`lead_reads`)
        ctx.db,
        ctx.principal.account_id,
        status=status,
        source=source,
        search=search,
        created_from=start,
        created_to=end,
        min_value=min_value,
        max_value=max_value,
        by_value=by_value,
        ascending=ascending,
        limit=limit,
        offset=offset,
        cursor=cursor,
        scope=scope,
    )
    return {
        "leads": [lead_public(lead) for lead in page.items],
        "total_value": value,
        **page_fields(page.total, limit, offset, len(page.items), has_more=page.next_cursor is not None),
        "next_cursor": page.next_cursor,
    }


async def get_lead(ctx: ToolContext, lead_id: LeadId) -> dict[str, Any]:
    """Get one sales lead by id."""
    ctx.require("crm.read")
    return lead_public(await store.lead_row(ctx.db, ctx.principal.account_id, lead_id))


async def pipeline_summary(ctx: ToolContext) -> dict[str, Any]:
    """Summarise the sales pipeline: number of leads and total value per status."""
    ctx.require("crm.read")
    by_status = await store.pipeline_by_status(ctx.db, ctx.principal.account_id)
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
    """Add the CRM family: read tools, write tools, connections and `query_crm_data`."""
    registry.add(get_contacts, permission="crm.read")
    registry.add(get_contact_detail, permission="crm.read")
    registry.add(list_leads, permission="crm.read")
    registry.add(get_lead, permission="crm.read")
    registry.add(pipeline_summary, permission="crm.read")
    crm_write.register(registry)
    crm_connections.register(registry)
