"""Every tool on `/mcp` is fully described — title, all four annotations, described parameters, an
`outputSchema` — and every tool's `structuredContent` validates against its `outputSchema`: each
is called once through the real `mcp` client (which validates too) on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from frontdesk.storage.demo import DEMO_EMAIL
from tests.conftest import serve
from tests.mcp_support import connect, demo_key, module_settings

# (readOnly, destructive, idempotent, openWorld) for a few tools whose hints matter most.
EXPECTED_HINTS = {
    "get_contacts": (True, False, True, False),
    "create_contact": (False, False, False, False),
    "tag_contact": (False, True, True, False),
    "update_lead": (False, True, True, False),
    "delete_lead": (False, True, True, False),
    "query_crm_data": (True, False, True, True),
    "invoke_helper": (False, True, False, True),
    "ask_frontdesk": (False, True, False, True),
}


@dataclass(frozen=True)
class Server:
    url: str
    key: str
    helper_id: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = module_settings(tmp_path_factory, "mcp_outputs")

    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as http:
        login = http.post("/auth/login", json={"email": DEMO_EMAIL, "password": "frontdesk-demo"})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        helper = {"name": "Tag via MCP", "helper_type": "tag_it", "config": {"tag_name": "mcp"}}
        created = http.post("/helpers", headers=headers, json=helper)
        assert created.status_code == 201, created.text
        yield Server(url, demo_key(settings), created.json()["helper_id"])


async def test_every_tool_has_a_title_hints_described_parameters_and_an_output_schema(server: Server) -> None:
    async with connect(server.url, server.key) as client:
        tools = (await client.list_tools()).tools
    assert len(tools) >= 30
    for tool in tools:
        assert tool.title and tool.annotations and tool.annotations.title == tool.title, tool.name
        hints = tool.annotations
        assert None not in (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint), tool.name
        assert hints.open_world_hint is not None, tool.name
        if hints.read_only_hint:
            assert hints.destructive_hint is False, tool.name
        assert tool.output_schema and tool.output_schema["type"] == "object", tool.name
        Draft202012Validator.check_schema(tool.output_schema)
        for name, prop in tool.input_schema.get("properties", {}).items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    found = {
        t.name: (
            t.annotations.read_only_hint,
            t.annotations.destructive_hint,
            t.annotations.idempotent_hint,
            t.annotations.open_world_hint,
        )
        for t in tools
        if t.name in EXPECTED_HINTS and t.annotations
    }
    assert found == EXPECTED_HINTS


async def test_every_tools_structured_content_matches_its_output_schema(server: Server) -> None:
    async with connect(server.url, server.key) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        contacts = await client.call_tool("get_contacts", {"limit": 1})
        contact_id = contacts.structured_content["contacts"][0]["id"]  # type: ignore[index]
        lead = await client.call_tool("create_lead", {"name": "Schema Check"})
        lead_id = lead.structured_content["id"]  # type: ignore[index]
        invoke = {"helper_id": server.helper_id, "contact_id": contact_id}
        run = await client.call_tool("invoke_helper", invoke)
        assert not run.is_error, run.content
        arguments: dict[str, dict[str, Any]] = {
            "get_contact_detail": {"contact_id": contact_id},
            "get_lead": {"lead_id": lead_id},
            "create_contact": {"name": "Schema Person"},
            "update_contact": {"contact_id": contact_id, "notes": "checked"},
            "tag_contact": {"contact_id": contact_id, "tags": ["schema"]},
            "create_lead": {"name": "Another Schema Check"},
            "update_lead": {"lead_id": lead_id, "status": "contacted"},
            "data_query": {"nl_query": "contacts from referral", "limit": 5},
            "data_sql": {"sql": "SELECT count(*) AS n FROM contacts"},
            "export_data": {"nl_query": "VIP contacts", "max_rows": 5},
            "explain_metric": {"metric": "CTR"},
            "search_messages": {"q": "pipeline"},
            "get_helper_config": {"helper_id": server.helper_id},
            "invoke_helper": invoke,
            "get_execution": {"execution_id": run.structured_content["execution_id"]},  # type: ignore[index]
            "ask_frontdesk": {"question": "How is the pipeline looking?"},
        }
        order = sorted(tools, key=lambda name: name == "delete_lead")  # delete last
        arguments["delete_lead"] = {"lead_id": lead_id}
        for name in order:
            result = await client.call_tool(name, arguments.get(name, {}))
            assert not result.is_error, (name, result.content)
            errors = list(
                Draft202012Validator(tools[name].output_schema or {}).iter_errors(result.structured_content)
            )
            assert not errors, (name, [e.message for e in errors[:3]])
