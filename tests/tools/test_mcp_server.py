"""The registry's MCP face, through the real `mcp` client over an in-memory session."""

from __future__ import annotations

import json

from mcp import Client

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.tools.mcp_server import RequestContext, build_mcp_server
from frontdesk.tools.registry import default_registry
from frontdesk.types import Principal
from tests.conftest import demo_identity


async def test_list_and_call_tools_over_mcp(db: Database, settings: Settings) -> None:
    principal = (await demo_identity(db)).principal("mcp")

    async def resolve(_ctx: RequestContext) -> Principal:
        return principal

    registry = default_registry()
    server = build_mcp_server(registry, db, settings, resolve)
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {s.name for s in registry.visible_to(principal)}
        assert {"get_contacts", "get_contact_detail", "list_leads", "pipeline_summary"} <= set(tools)
        schema = tools["get_contacts"].input_schema
        assert schema == registry.get("get_contacts").parameters
        assert schema["properties"]["tags"]["description"] == "Contacts must carry all of these tags."
        assert tools["get_contacts"].annotations.read_only_hint is True
        assert tools["get_contacts"].annotations.destructive_hint is False

        result = await client.call_tool("get_contacts", {"tags": ["VIP"], "limit": 5})
        assert not result.is_error
        data = json.loads(result.content[0].text)
        assert data == result.structured_content
        assert data["total"] > 0 and all("VIP" in c["tags"] for c in data["contacts"])

        pipeline = await client.call_tool("pipeline_summary", {})
        assert json.loads(pipeline.content[0].text)["total_leads"] > 0

        missing = await client.call_tool("get_contact_detail", {"contact_id": "contact:nope"})
        assert missing.is_error and "not found" in missing.content[0].text.lower()
        bad = await client.call_tool("get_contacts", {"limit": 5000})
        assert bad.is_error and "limit" in bad.content[0].text
        unknown = await client.call_tool("no_such_tool", {})
        assert unknown.is_error and "Unknown tool 'no_such_tool'" in unknown.content[0].text


async def test_write_tools_carry_accurate_annotations(db: Database, settings: Settings) -> None:
    principal = (await demo_identity(db)).principal("mcp")

    async def resolve(_ctx: RequestContext) -> Principal:
        return principal

    registry = default_registry()
    writes = [s.name for s in registry.visible_to(principal) if not s.read_only]
    assert writes, "the registry has write tools"
    async with Client(build_mcp_server(registry, db, settings, resolve)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    for name in writes:
        assert tools[name].annotations.read_only_hint is False
    # destructive only where data is deleted or overwritten; additive writes are not
    destructive = {n for n in writes if tools[n].annotations.destructive_hint}
    assert {"delete_lead", "update_contact", "update_lead", "tag_contact"} <= destructive
    assert not {"create_contact", "create_lead", "export_data"} & destructive


async def test_listing_follows_the_principal_of_each_request(db: Database, settings: Settings) -> None:
    identity = await demo_identity(db)
    owner = identity.principal("mcp")
    chat_only = Principal(identity.user.id, identity.account.id, "Viewer", frozenset({"chat"}), "mcp")
    current = {"principal": owner}

    async def resolve(_ctx: RequestContext) -> Principal:
        return current["principal"]

    registry = default_registry()
    async with Client(build_mcp_server(registry, db, settings, resolve)) as client:
        as_owner = {t.name for t in (await client.list_tools()).tools}
        current["principal"] = chat_only
        as_viewer = {t.name for t in (await client.list_tools()).tools}
        assert "get_contacts" in as_owner and "get_contacts" not in as_viewer
        assert as_viewer == {s.name for s in registry.visible_to(chat_only)}

        # a hidden tool is still refused by the tool layer when called by name
        result = await client.call_tool("get_contacts", {})
        assert result.is_error and "crm.read" in result.content[0].text
