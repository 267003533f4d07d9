"""The CRM family on the MCP face, through the real `mcp` client over an in-memory session."""

from __future__ import annotations

import json

from mcp import Client

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.tools.mcp_server import RequestContext, build_mcp_server
from frontdesk.tools.registry import default_registry
from frontdesk.types import ROLE_PERMISSIONS, Principal
from tests.conftest import demo_identity


async def test_crm_tools_over_mcp(db: Database, settings: Settings) -> None:
    owner = (await demo_identity(db)).principal("mcp")
    viewer = Principal(owner.user_id, owner.account_id, "Viewer", ROLE_PERMISSIONS["Viewer"], channel="mcp")
    current = {"principal": owner}

    async def resolve(_ctx: RequestContext) -> Principal:
        return current["principal"]

    server = build_mcp_server(default_registry(), db, settings, resolve)
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name in ("create_contact", "update_contact", "tag_contact", "create_lead", "update_lead"):
            assert tools[name].annotations.read_only_hint is False, name
            # overwrites are destructive, additive creates are not
            assert tools[name].annotations.destructive_hint is name.startswith(("update", "tag")), name
        assert tools["query_crm_data"].annotations.read_only_hint is True

        connections = json.loads(
            (await client.call_tool("get_connections", {"platform": "demo"})).content[0].text
        )
        demo_id = connections["connections"][0]["connection_id"]
        deals = await client.call_tool(
            "query_crm_data",
            {"connection_id": demo_id, "object_type": "deals", "filters": {"stage": "won"}, "limit": 5},
        )
        assert not deals.is_error
        data = json.loads(deals.content[0].text)
        assert 0 < data["count"] <= 5 and all(r["stage"] == "won" for r in data["records"])

        made = await client.call_tool("create_lead", {"name": "MCP Lead", "source": "event", "value": 500})
        lead = json.loads(made.content[0].text)
        assert not made.is_error and lead["status"] == "new"

        current["principal"] = viewer
        refused = await client.call_tool("update_lead", {"lead_id": lead["id"], "status": "converted"})
        assert refused.is_error and "crm.write" in refused.content[0].text
        still = json.loads((await client.call_tool("get_lead", {"lead_id": lead["id"]})).content[0].text)
        assert still["status"] == "new"
