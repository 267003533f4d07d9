"""The data explorer's tools: `data_catalog`, `data_query` and `data_sql`.

Every call is confined to the caller's account: the connection must be theirs (404 otherwise),
object types are looked up in their catalog only, and files are opened only through paths the
lake builds inside their account's directory. DuckDB work runs in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from pydantic import Field

from frontdesk import clock
from frontdesk.storage.lake import catalog
from frontdesk.storage.lake.filters import Filters
from frontdesk.storage.lake.query import MAX_LIMIT, query_page, shared
from frontdesk.storage.lake.sandbox import run_sql
from frontdesk.storage.lake.store import Lake
from frontdesk.storage.lake_models import LakeObject
from frontdesk.storage.models import Connection
from frontdesk.tools.base import ToolContext
from frontdesk.tools.explorer.nl import Interpretation, interpret, merge
from frontdesk.tools.registry import ToolRegistry

PERMISSION = "can_view_analytics"
SQL_MAX_ROWS = 1000
SQL_TIMEOUT_SECONDS = 10.0
ConnectionId = Annotated[
    str | None, Field(description="The connection (conn:…); default: the account's native CRM.")
]


async def connection_objects(
    ctx: ToolContext, connection_id: str | None
) -> tuple[Connection, list[LakeObject]]:
    async with ctx.db.session() as s:
        conn = await catalog.get_connection(s, ctx.principal.account_id, connection_id)
        return conn, await catalog.objects(s, ctx.principal.account_id, conn.id)


async def lake_object(ctx: ToolContext, connection_id: str, object_type: str) -> LakeObject:
    async with ctx.db.session() as s:
        return await catalog.get_object(s, ctx.principal.account_id, connection_id, object_type)


def _known_tags(lake: Lake, account_id: str, objects: list[LakeObject]) -> list[str]:
    row = next((o for o in objects if o.object_type == "tags"), None)
    if row is None or "name" not in {f["name"] for f in row.fields}:
        return []
    path = str(lake.resolve(account_id, row.path)).replace("'", "''")
    sql = f"SELECT DISTINCT name FROM read_parquet('{path}') WHERE name IS NOT NULL"
    return [r[0] for r in shared().sql(sql).fetchall()]


async def plan_query(
    ctx: ToolContext, objects: list[LakeObject], nl_query: str | None, filters: Filters | None
) -> tuple[Filters, Interpretation | None]:
    """The filters to run: the question's (offline planner) overlaid with the explicit ones."""
    if not nl_query or not nl_query.strip():
        return filters or Filters(), None
    lake = Lake.for_settings(ctx.settings)
    tags = await asyncio.to_thread(_known_tags, lake, ctx.principal.account_id, objects)
    types = {o.object_type: {f["name"]: f["type"] for f in o.fields} for o in objects}
    found = interpret(nl_query, clock.today(), types, tags)
    return merge(filters, found.filters), found


async def data_catalog(ctx: ToolContext, connection_id: ConnectionId = None) -> dict[str, Any]:
    """List the objects of a connection in the data lake: record counts, last sync, fields and types."""
    ctx.require(PERMISSION)
    conn, objects = await connection_objects(ctx, connection_id)
    return {
        "connection_id": conn.id,
        "platform": conn.platform,
        "name": conn.name,
        "objects": [catalog.object_public(o) for o in objects],
    }


async def data_query(
    ctx: ToolContext,
    connection_id: ConnectionId = None,
    nl_query: Annotated[
        str | None, Field(description="A question in plain English, e.g. 'VIP contacts created last month'.")
    ] = None,
    filters: Annotated[Filters | None, Field(description="Structured filters (win over nl_query).")] = None,
    sort: Annotated[
        list[str] | None, Field(description="Fields to sort by; '-field' sorts descending.")
    ] = None,
    limit: Annotated[int | None, Field(ge=1, le=MAX_LIMIT, description=f"Rows, 1-{MAX_LIMIT}.")] = None,
    offset: Annotated[int, Field(ge=0, description="Rows to skip.")] = 0,
) -> dict[str, Any]:
    """Query a connection's synced data (contacts, leads, tags, campaigns, ad or GA4 daily metrics)
    with structured filters and/or a plain-English question; returns one page and the total."""
    ctx.require(PERMISSION)
    conn, objects = await connection_objects(ctx, connection_id)
    used, found = await plan_query(ctx, objects, nl_query, filters)
    obj = await lake_object(ctx, conn.id, used.object_type)
    path = Lake.for_settings(ctx.settings).resolve(ctx.principal.account_id, obj.path)
    sort = sort or (found.sort if found else None)
    limit = limit or (found.limit if found else None) or 100
    types = {f["name"]: f["type"] for f in obj.fields}
    page = await asyncio.to_thread(query_page, path, types, used, sort=sort, limit=limit, offset=offset)
    out: dict[str, Any] = {
        "results": page.results,
        "total": page.total,
        "query_time_ms": page.query_time_ms,
        "has_more": page.has_more,
        "connection_id": conn.id,
        "object_type": used.object_type,
        "filters": used.used(),
        "sort": sort,
        "limit": limit,
        "offset": offset,
    }
    if found is not None:
        out |= {"nl_query": nl_query, "understood": found.understood}
    return out


async def data_sql(
    ctx: ToolContext,
    sql: Annotated[
        str, Field(description="One read-only SELECT; each object type is a view, e.g. contacts.")
    ],
    connection_id: ConnectionId = None,
    max_rows: Annotated[int, Field(ge=1, le=SQL_MAX_ROWS, description="Row cap.")] = 200,
) -> dict[str, Any]:
    """Run one read-only SQL SELECT over the connection's synced objects (one view per object type,
    e.g. `SELECT source, count(*) FROM contacts GROUP BY source`). No files, no writes, 10 s limit."""
    ctx.require(PERMISSION)
    conn, objects = await connection_objects(ctx, connection_id)
    lake = Lake.for_settings(ctx.settings)
    views = {o.object_type: lake.resolve(ctx.principal.account_id, o.path) for o in objects}
    result = await asyncio.to_thread(
        run_sql, sql, views, max_rows=max_rows, timeout_seconds=SQL_TIMEOUT_SECONDS
    )
    return {
        "connection_id": conn.id,
        "views": sorted(views),
        "columns": result.columns,
        "rows": result.rows,
        "row_count": result.row_count,
        "truncated": result.truncated,
        "query_time_ms": result.query_time_ms,
    }


def register(registry: ToolRegistry) -> None:
    registry.add(data_catalog, permission=PERMISSION)
    registry.add(data_query, permission=PERMISSION)
    registry.add(data_sql, permission=PERMISSION)
