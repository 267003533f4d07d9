"""The explorer tools through the registry (and the MCP face) on a real database and lake."""

from __future__ import annotations

import json

import pytest
from mcp import Client

from frontdesk.config import Settings
from frontdesk.errors import Forbidden, Invalid, NotFound
from frontdesk.storage.db import Database
from frontdesk.storage.lake import catalog
from frontdesk.storage.lake.store import Lake
from frontdesk.tools.base import ToolContext
from frontdesk.tools.explorer.sync import sync_as
from frontdesk.tools.mcp_server import RequestContext, build_mcp_server
from frontdesk.tools.registry import default_registry
from frontdesk.types import Principal
from tests.conftest import DEMO_CONTACTS, demo_identity, new_identity


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    ctx = ToolContext((await demo_identity(db)).principal(), db, settings)
    async with db.session() as s:
        native = await catalog.get_connection(s, ctx.principal.account_id, None)
    report = await sync_as(ctx, native.id)
    assert [s.object_type for s in report.synced] == ["contacts", "tags", "leads"]
    return ctx


async def test_sync_writes_files_and_catalog(ctx: ToolContext) -> None:
    report = await sync_as(ctx)  # every connection of the demo account
    assert {s.object_type for s in report.synced} >= {
        "contacts",
        "leads",
        "ad_daily_metrics",
        "ga4_daily_metrics",
    }
    # every connection served offline syncs (a shared PostgreSQL database may hold other tests'
    # connections to outside platforms in the demo account; those are reported as skipped)
    assert [
        s for s in report.skipped if s["platform"] in {"native", "demo", "google_ads", "meta_ads", "ga4"}
    ] == []
    reg = default_registry()
    cat = await reg.call("data_catalog", {}, ctx)
    assert cat["platform"] == "native"
    objects = {o["object_type"]: o for o in cat["objects"]}
    live = await reg.call("get_contacts", {"limit": 1}, ctx)
    assert objects["contacts"]["record_count"] == live["total"] >= DEMO_CONTACTS
    assert objects["contacts"]["field_types"]["tags"] == "list<string>"
    assert objects["contacts"]["last_synced"].endswith("Z")
    lake = Lake.for_settings(ctx.settings)
    assert lake.path(ctx.principal.account_id, cat["connection_id"], "contacts").exists()
    async with ctx.db.session() as s:
        conn = await catalog.get_connection(s, ctx.principal.account_id, None)
        assert conn.last_synced_at is not None


async def test_query_with_structured_filters(ctx: ToolContext) -> None:
    reg = default_registry()
    vip = await reg.call("data_query", {"filters": {"tags": ["vip"]}, "limit": 1000}, ctx)
    crm = await reg.call("get_contacts", {"tags": ["VIP"], "limit": 100}, ctx)
    assert vip["total"] == crm["total"] > 0  # the lake agrees with the SQL CRM it was synced from
    leads = await reg.call(
        "data_query",
        {
            "filters": {
                "object_type": "leads",
                "in": {"status": ["new", "qualified"]},
                "ranges": {"value": {"gte": 5000}},
            },
            "sort": ["-value"],
            "limit": 1000,
        },
        ctx,
    )
    values = [r["value"] for r in leads["results"]]
    assert values == sorted(values, reverse=True) and min(values) >= 5000
    assert {r["status"] for r in leads["results"]} <= {"new", "qualified"}
    assert leads["filters"]["in"] == {"status": ["new", "qualified"]}


async def test_nl_query_shows_the_filters_it_used(ctx: ToolContext) -> None:
    reg = default_registry()
    out = await reg.call(
        "data_query", {"nl_query": "VIP contacts created in the last 6 months, newest first"}, ctx
    )
    assert out["filters"]["tags"] == ["VIP"] and out["filters"]["date_field"] == "created_at"
    assert out["sort"] == ["-created_at"] and "tags=['VIP']" in out["understood"]
    assert all("VIP" in r["tags"] for r in out["results"])
    leads = await reg.call("data_query", {"nl_query": "top 5 converted leads from referral"}, ctx)
    assert leads["object_type"] == "leads" and leads["limit"] == 5
    assert leads["filters"]["equals"] == {"status": "converted", "source": "referral"}
    assert all(r["status"] == "converted" and r["source"] == "referral" for r in leads["results"])
    explicit = await reg.call(
        "data_query",
        {"nl_query": "qualified leads", "filters": {"object_type": "leads", "equals": {"status": "new"}}},
        ctx,
    )
    assert explicit["filters"]["equals"] == {"status": "new"}  # explicit filters win


async def test_unknown_object_and_field_name_the_culprit(ctx: ToolContext) -> None:
    reg = default_registry()
    with pytest.raises(Invalid, match="Unknown object type 'deals'"):
        await reg.call("data_query", {"filters": {"object_type": "deals"}}, ctx)
    with pytest.raises(Invalid, match="Unknown field 'shoe_size'"):
        await reg.call("data_query", {"filters": {"equals": {"shoe_size": 42}}}, ctx)
    with pytest.raises(Invalid, match=r"Unknown object type '\.\./leads'"):
        await reg.call("data_query", {"filters": {"object_type": "../leads"}}, ctx)


async def test_data_sql_reads_only_the_accounts_views(ctx: ToolContext, db: Database) -> None:
    reg = default_registry()
    out = await reg.call(
        "data_sql", {"sql": "SELECT status, count(*) AS n, sum(value) AS v FROM leads GROUP BY status"}, ctx
    )
    assert {"contacts", "leads", "tags"} <= set(out["views"])
    pipeline = await reg.call("pipeline_summary", {}, ctx)
    assert sum(r["n"] for r in out["rows"]) == pipeline["total_leads"]
    other = ToolContext((await new_identity(db)).principal(), db, ctx.settings)
    await sync_as(other)
    other_conn = (await reg.call("data_catalog", {}, other))["connection_id"]
    other_file = Lake.for_settings(ctx.settings).path(other.principal.account_id, other_conn, "contacts")
    for sql in (
        f"SELECT * FROM read_parquet('{other_file}')",
        f"SELECT * FROM '{other_file}'",
        f"COPY (SELECT * FROM contacts) TO '{other_file}.csv'",
        f"ATTACH '{other_file}' AS x",
        "INSTALL httpfs",
        "LOAD parquet",
        "SET enable_external_access = true",
        f"SELECT * FROM read_parquet('{Lake.for_settings(ctx.settings).root}/../**/*.parquet')",
    ):
        with pytest.raises(Invalid):
            await reg.call("data_sql", {"sql": sql}, ctx)
    mine = await reg.call("data_sql", {"sql": "SELECT count(*) AS n FROM contacts"}, other)
    assert mine["rows"] == [{"n": 0}]  # a new account sees its own (empty) CRM, not the demo's


async def test_another_accounts_connection_is_not_found(ctx: ToolContext, db: Database) -> None:
    reg = default_registry()
    demo_conn = (await reg.call("data_catalog", {}, ctx))["connection_id"]
    other = ToolContext((await new_identity(db)).principal(), db, ctx.settings)
    for tool, args in (
        ("data_catalog", {"connection_id": demo_conn}),
        ("data_query", {"connection_id": demo_conn}),
        ("data_sql", {"connection_id": demo_conn, "sql": "SELECT 1"}),
    ):
        with pytest.raises(NotFound):
            await reg.call(tool, args, other)
    with pytest.raises(NotFound):
        await sync_as(other, demo_conn)


async def test_permissions(ctx: ToolContext) -> None:
    p = ctx.principal
    no_analytics = ToolContext(
        Principal(p.user_id, p.account_id, "Viewer", frozenset({"chat"})), ctx.db, ctx.settings
    )
    with pytest.raises(Forbidden):
        await default_registry().call("data_query", {}, no_analytics)
    viewer = ToolContext(
        Principal(p.user_id, p.account_id, "Viewer", frozenset({"can_view_analytics"})), ctx.db, ctx.settings
    )
    assert (await default_registry().call("data_query", {"limit": 1}, viewer))["total"] == DEMO_CONTACTS
    with pytest.raises(Forbidden):
        await sync_as(viewer)


async def test_tools_on_the_mcp_face(ctx: ToolContext) -> None:
    async def resolve(_ctx: RequestContext) -> Principal:
        return ctx.principal

    server = build_mcp_server(default_registry(), ctx.db, ctx.settings, resolve)
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"data_catalog", "data_query", "data_sql"} <= set(tools)
        result = await client.call_tool("data_query", {"filters": {"tags": ["VIP"]}, "limit": 3})
        assert not result.is_error
        assert len(json.loads(result.content[0].text)["results"]) == 3
        refused = await client.call_tool("data_sql", {"sql": "COPY (SELECT 1) TO '/tmp/x.csv'"})
        assert refused.is_error and "Only SELECT" in refused.content[0].text
