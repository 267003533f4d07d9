"""`get_connections` and `query_crm_data` through the registry, over the native and demo connectors;
connection management (`crm_connection_admin`) and credentials encrypted at rest."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from frontdesk.config import Settings
from frontdesk.errors import Forbidden, Invalid, NotFound, ToolFailure
from frontdesk.storage.crm_credentials import decrypt_credentials, encrypt_credentials
from frontdesk.storage.db import Database
from frontdesk.tools import crm_connection_admin as admin
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry, default_registry
from frontdesk.types import ROLE_PERMISSIONS, Principal
from tests.conftest import DEMO_CONTACTS, demo_identity, new_identity


@pytest.fixture
def reg() -> ToolRegistry:
    return default_registry()


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    return ToolContext((await demo_identity(db)).principal(), db, settings)


async def _demo_connection_id(reg: ToolRegistry, ctx: ToolContext) -> str:
    found = await reg.call("get_connections", {"platform": "demo"}, ctx)
    assert found["total"] == 1
    return str(found["connections"][0]["connection_id"])


async def test_get_connections_lists_native_and_demo(reg: ToolRegistry, ctx: ToolContext) -> None:
    found = await reg.call("get_connections", {}, ctx)
    by_platform = {c["platform_id"]: c for c in found["connections"]}
    assert {"native", "demo"} <= set(by_platform) and found["total"] == len(found["connections"])
    assert by_platform["native"]["object_types"] == ["contacts", "leads", "tags"]
    assert by_platform["demo"]["object_types"] == ["contacts", "companies", "deals", "tags"]
    assert by_platform["demo"]["has_credentials"] is False and "edits" not in by_platform["demo"]["settings"]


async def test_query_native_pages_with_cursor(reg: ToolRegistry, ctx: ToolContext) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        args = {"object_type": "contacts", "limit": 60} | ({"cursor": cursor} if cursor else {})
        page = await reg.call("query_crm_data", args, ctx)
        assert page["platform"] == "native" and page["total"] == DEMO_CONTACTS
        seen += [r["id"] for r in page["records"]]
        cursor = page["next_cursor"]
        assert page["has_more"] is (cursor is not None)
        if not cursor:
            break
    assert len(seen) == DEMO_CONTACTS == len(set(seen))
    leads = await reg.call(
        "query_crm_data", {"object_type": "leads", "filters": {"status": "QUALIFIED"}}, ctx
    )
    assert leads["count"] > 0 and all(r["status"] == "qualified" for r in leads["records"])


async def test_query_filters_never_skip_a_match(reg: ToolRegistry, ctx: ToolContext) -> None:
    conn = await _demo_connection_id(reg, ctx)
    everything = await reg.call(
        "query_crm_data", {"connection_id": conn, "object_type": "contacts", "limit": 100}, ctx
    )
    rest = await reg.call(
        "query_crm_data",
        {"connection_id": conn, "object_type": "contacts", "limit": 100, "cursor": everything["next_cursor"]},
        ctx,
    )
    all_vip = [r["id"] for r in everything["records"] + rest["records"] if "VIP" in r["tags"]]
    assert len(all_vip) > 5
    got, cursor = [], None
    while True:  # small pages of a filtered query, resumed with the cursor
        args = {"connection_id": conn, "object_type": "contacts", "filters": {"tags": "vip"}, "limit": 4}
        page = await reg.call("query_crm_data", args | ({"cursor": cursor} if cursor else {}), ctx)
        assert page["count"] <= 4 and page["total"] is None
        got += [r["id"] for r in page["records"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert got == all_vip


async def test_query_search_and_bad_requests(reg: ToolRegistry, ctx: ToolContext, db: Database) -> None:
    conn = await _demo_connection_id(reg, ctx)
    found = await reg.call(
        "query_crm_data", {"connection_id": conn, "object_type": "companies", "search": "initech"}, ctx
    )
    assert [r["name"] for r in found["records"]] == ["Initech"]
    with pytest.raises(Invalid, match="not 'leads'"):
        await reg.call("query_crm_data", {"connection_id": conn, "object_type": "leads"}, ctx)
    with pytest.raises(Invalid, match="cursor"):
        await reg.call("query_crm_data", {"search": "a", "cursor": "10"}, ctx)
    with pytest.raises(Invalid, match="filters"):
        await reg.call("query_crm_data", {"filters": {f"f{i}": 1 for i in range(11)}}, ctx)
    with pytest.raises(NotFound):
        await reg.call("query_crm_data", {"connection_id": "conn:does-not-exist"}, ctx)


async def test_connections_of_another_account_are_not_found(
    reg: ToolRegistry, ctx: ToolContext, db: Database, settings: Settings
) -> None:
    conn = await _demo_connection_id(reg, ctx)
    other = ToolContext((await new_identity(db)).principal(), db, settings)
    with pytest.raises(NotFound):
        await reg.call("query_crm_data", {"connection_id": conn}, other)
    for call in (admin.get_connection, admin.test_connection, admin.delete_connection):
        with pytest.raises(NotFound):
            await call(other, conn)
    with pytest.raises(NotFound):
        await admin.update_connection(other, conn, name="mine now")
    theirs = await reg.call("get_connections", {}, other)
    assert [c["platform_id"] for c in theirs["connections"]] == ["native"]
    native = await reg.call("query_crm_data", {}, other)  # their own native CRM: empty
    assert native["records"] == [] and native["total"] == 0


async def test_credentials_are_encrypted_at_rest(ctx: ToolContext, db: Database) -> None:
    token = "pat-na1-super-secret-token-value"
    made = await admin.create_connection(ctx, "hubspot", "Sales HubSpot", {"access_token": token})
    assert made["has_credentials"] is True and token not in str(made)
    async with db.session() as s:
        raw = (
            await s.execute(
                text("SELECT credentials_encrypted FROM connections WHERE id = :id"),
                {"id": made["connection_id"]},
            )
        ).scalar_one()
    assert token not in raw and "access_token" not in raw
    secret = ctx.settings.resolved_secret_key()
    assert decrypt_credentials(secret, raw) == {"access_token": token}
    with pytest.raises(ToolFailure, match="cannot be decrypted"):
        decrypt_credentials("another-secret-key-of-some-length", raw)
    assert encrypt_credentials(secret, {"a": "b"}) != encrypt_credentials(secret, {"a": "b"})  # random IV


async def test_connection_admin_validation_and_permissions(ctx: ToolContext) -> None:
    with pytest.raises(Invalid, match="needs access_token or api_key"):
        await admin.create_connection(ctx, "hubspot", "No token", {})
    with pytest.raises(Invalid, match="Unknown or unsupported platform"):
        await admin.create_connection(ctx, "salesforce", "SF")
    with pytest.raises(Invalid, match="created with the account"):
        await admin.create_connection(ctx, "native", "Another native")
    with pytest.raises(Invalid, match="settings"):
        await admin.create_connection(ctx, "demo", "Demo", settings={"contacts": "many"})
    with pytest.raises(Invalid, match="unknown base_url"):
        await admin.create_connection(ctx, "hubspot", "H", {"access_token": "t"}, {"base_url": "http://x"})
    demo = await admin.create_connection(ctx, "demo", "Small demo", settings={"contacts": 5, "seed": 3})
    assert demo["settings"] == {"contacts": 5, "seed": 3}
    tested = await admin.test_connection(ctx, demo["connection_id"])
    assert tested["status"] == "success" and tested["result"]["contacts"] == 5
    p = ctx.principal
    viewer = ToolContext(
        Principal(p.user_id, p.account_id, "Viewer", ROLE_PERMISSIONS["Viewer"]), ctx.db, ctx.settings
    )
    assert (await admin.get_connection(viewer, demo["connection_id"]))["name"] == "Small demo"
    with pytest.raises(Forbidden):
        await admin.delete_connection(viewer, demo["connection_id"])
    with pytest.raises(Forbidden):
        await admin.create_connection(viewer, "demo", "Nope")
    native = (await default_registry().call("get_connections", {"platform": "native"}, ctx))["connections"][0]
    with pytest.raises(Invalid, match="cannot be deleted"):
        await admin.delete_connection(ctx, native["connection_id"])
    deleted = await admin.delete_connection(ctx, demo["connection_id"])
    assert deleted["connection_id"] == demo["connection_id"] and deleted["deleted_at"].endswith("Z")
