"""Connection tools: `get_connections`, and `query_crm_data` over any connection's `Connector`.

`open_connector(ctx, connection_id)` is the one way code above storage reaches a connection's
data (the data explorer's sync and the helpers use it too): the row is looked up inside the
principal's account (another account's id is NotFound) and its connector built.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from frontdesk.errors import Invalid
from frontdesk.storage import crm_connections as store
from frontdesk.storage.models import Connection
from frontdesk.tools.base import ToolContext
from frontdesk.tools.connectors.base import Connector
from frontdesk.tools.connectors.factory import PLATFORMS, connector_for
from frontdesk.tools.crm_records import Limit, connection_public
from frontdesk.tools.registry import ToolRegistry

MAX_SCAN_REQUESTS = 20  # pages one filtered query may read before handing back a cursor
MAX_FILTERS = 10
ConnectionId = Annotated[
    str | None, Field(max_length=64, description="A connection id (conn:…); omit for the native CRM.")
]
FilterValue = str | int | float | bool


def public(row: Connection) -> dict[str, Any]:
    platform = PLATFORMS.get(row.platform)
    return connection_public(row, list(platform.object_types) if platform else [])


async def open_connector(ctx: ToolContext, connection_id: str | None) -> tuple[Connection, Connector]:
    """The principal's connection (the native CRM when `connection_id` is None) and its connector."""
    async with ctx.db.session() as s:
        if connection_id is None:
            row = await store.native_connection(s, ctx.principal.account_id)
        else:
            row = await store.get_connection(s, ctx.principal.account_id, connection_id)
    return row, connector_for(row, db=ctx.db, secret=ctx.settings.resolved_secret_key())


async def get_connections(
    ctx: ToolContext,
    platform: Annotated[
        str | None, Field(max_length=32, description="Only this platform, e.g. hubspot.")
    ] = None,
) -> dict[str, Any]:
    """List the account's data connections (native CRM, demo data, HubSpot, ...) and their object types."""
    ctx.require("crm.read")
    async with ctx.db.session() as s:
        rows = await store.list_connections(s, ctx.principal.account_id, platform=platform)
    return {"connections": [public(r) for r in rows], "total": len(rows)}


def _matches(record: dict[str, Any], filters: dict[str, FilterValue]) -> bool:
    for field, wanted in filters.items():
        value = record.get(field)
        want = str(wanted).strip().lower()
        values = value if isinstance(value, list) else [value]
        if not any(v is not None and str(v).strip().lower() == want for v in values):
            return False
    return True


async def query_crm_data(
    ctx: ToolContext,
    connection_id: ConnectionId = None,
    object_type: Annotated[
        str, Field(min_length=1, max_length=64, description="e.g. contacts, leads, companies, deals, tags.")
    ] = "contacts",
    search: Annotated[str | None, Field(max_length=200, description="Free-text search.")] = None,
    filters: Annotated[
        dict[str, FilterValue] | None,
        Field(description="Field -> value; all must match (case-insensitive; a list field contains it)."),
    ] = None,
    limit: Limit = 25,
    cursor: Annotated[
        str | None, Field(max_length=500, description="next_cursor of a previous call.")
    ] = None,
) -> dict[str, Any]:
    """Query the records of one of the account's connections (native CRM, demo data, HubSpot, ...).

    Pages with `cursor`; `filters` are checked on each record, reading up to 20 pages per call."""
    ctx.require("crm.read")
    filters = filters or {}
    if len(filters) > MAX_FILTERS:
        raise Invalid(f"At most {MAX_FILTERS} filters")
    row, connector = await open_connector(ctx, connection_id)
    if object_type not in connector.object_types():
        raise Invalid(f"{row.platform} serves {', '.join(connector.object_types())}, not '{object_type}'")
    scanned, total = 0, None
    if search:
        if cursor:
            raise Invalid("cursor cannot be combined with search (search returns one page)")
        found = await connector.search_objects(object_type, search, limit=limit)
        scanned, records, next_cursor = len(found), [r for r in found if _matches(r, filters)], None
    else:
        records, next_cursor, requests = [], cursor, 0
        while len(records) < limit and requests < MAX_SCAN_REQUESTS:
            # never ask for more than could still match, so no match is skipped between pages
            page = await connector.list_objects(object_type, cursor=next_cursor, limit=limit - len(records))
            requests += 1
            scanned += len(page.records)
            records += [r for r in page.records if _matches(r, filters)]
            total = page.total if not filters else None
            next_cursor = page.next_cursor
            if next_cursor is None:
                break
    return {
        "connection_id": row.id,
        "platform": row.platform,
        "object_type": object_type,
        "records": records,
        "count": len(records),
        "total": total,
        "scanned": scanned,
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }


def register(registry: ToolRegistry) -> None:
    registry.add(get_connections, permission="crm.read")
    registry.add(query_crm_data, permission="crm.read")
