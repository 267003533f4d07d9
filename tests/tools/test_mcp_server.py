"""The registry's MCP face, through the real `mcp` client over an in-memory session."""

from __future__ import annotations

import json

from mcp import Client
from mcp.server.mcpserver import Context

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.tools.mcp_server import build_mcp_server
from frontdesk.tools.registry import default_registry
from frontdesk.types import Principal
from tests.conftest import demo_identity


async def test_list_and_call_tools_over_mcp(db: Database, settings: Settings) -> None:
    principal = (await demo_identity(db)).principal("mcp")

    async def resolve(_ctx: Context) -> Principal:
        return principal

    server = build_mcp_server(default_registry(), db, settings, resolve, visible_to=principal)
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"get_contacts", "get_contact_detail", "list_leads", "pipeline_summary"}
        schema = tools["get_contacts"].input_schema
        assert schema["properties"]["tags"]["description"] == "Contacts must carry all of these tags."
        assert tools["get_contacts"].annotations.read_only_hint is True

        result = await client.call_tool("get_contacts", {"tags": ["VIP"], "limit": 5})
        assert not result.is_error
        data = json.loads(result.content[0].text)
        assert data["total"] > 0 and all("VIP" in c["tags"] for c in data["contacts"])

        pipeline = await client.call_tool("pipeline_summary", {})
        assert json.loads(pipeline.content[0].text)["total_leads"] > 0

        missing = await client.call_tool("get_contact_detail", {"contact_id": "contact:nope"})
        assert missing.is_error and "not found" in missing.content[0].text
        bad = await client.call_tool("get_contacts", {"limit": 5000})
        assert bad.is_error


async def test_mcp_refuses_a_principal_without_permission(db: Database, settings: Settings) -> None:
    identity = await demo_identity(db)
    viewer = Principal(identity.user.id, identity.account.id, "Viewer", frozenset({"chat"}), "mcp")

    async def resolve(_ctx: Context) -> Principal:
        return viewer

    server = build_mcp_server(default_registry(), db, settings, resolve)
    async with Client(server) as client:
        result = await client.call_tool("get_contacts", {})
        assert result.is_error and "crm.read" in result.content[0].text
