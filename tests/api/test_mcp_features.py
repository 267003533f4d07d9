"""The MCP face beyond tools, on a real uvicorn server through the real `mcp` client: resources
(`frontdesk://` URIs, scoped to the asking principal), department prompts, completions,
`logging/setLevel`, and progress notifications from long tools."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import mcp_types as types
import pytest
from mcp.shared.exceptions import MCPError

from tests.conftest import register, serve
from tests.mcp_support import connect, demo_key, module_settings


@dataclass(frozen=True)
class Server:
    url: str
    owner_key: str
    stranger_token: str  # a user of another account (JWT access token)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = module_settings(tmp_path_factory, "mcp_features")

    with serve(settings) as url:
        with httpx.Client(base_url=url, timeout=30) as http:
            stranger = register(http, "Stranger")
        yield Server(url, demo_key(settings), str(stranger["access_token"]))


def payload(result: types.ReadResourceResult) -> Any:
    (content,) = result.contents
    assert isinstance(content, types.TextResourceContents) and content.mime_type == "application/json"
    return json.loads(content.text)


async def test_resources_list_templates_and_reads(server: Server) -> None:
    async with connect(server.url, server.owner_key) as client:
        answer = await client.call_tool("ask_frontdesk", {"question": "How is the pipeline looking?"})
        conversation_id = answer.structured_content["conversation_id"]  # type: ignore[index]
        listed = {r.uri: r for r in (await client.list_resources()).resources}
        assert "frontdesk://catalog" in listed
        assert f"frontdesk://conversations/{conversation_id}" in listed
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert templates == {
            "frontdesk://conversations/{conversation_id}",
            "frontdesk://contacts/{contact_id}",
        }

        catalog = payload(await client.read_resource("frontdesk://catalog"))
        assert {o["object_type"] for o in catalog["objects"]} >= {"contacts", "leads"}
        conversation = payload(await client.read_resource(f"frontdesk://conversations/{conversation_id}"))
        assert [m["role"] for m in conversation["messages"]][:1] == ["user"]
        assert conversation["messages"][0]["content"] == "How is the pipeline looking?"
        contacts = await client.call_tool("get_contacts", {"limit": 1})
        contact_id = contacts.structured_content["contacts"][0]["id"]  # type: ignore[index]
        contact = payload(await client.read_resource(f"frontdesk://contacts/{contact_id}"))
        assert contact["id"] == contact_id and "leads" in contact
        for missing in ("frontdesk://contacts/contact:nope", "frontdesk://elsewhere", "https://example.com/"):
            with pytest.raises(MCPError) as refused:
                await client.read_resource(missing)
            assert refused.value.error.code == types.INVALID_PARAMS, missing


async def test_another_accounts_contact_and_conversation_are_not_readable(server: Server) -> None:
    async with connect(server.url, server.stranger_token) as stranger:
        created = await stranger.call_tool("create_contact", {"name": "Secret Person"})
        secret_contact = created.structured_content["id"]  # type: ignore[index]
        answer = await stranger.call_tool("ask_frontdesk", {"question": "How is the pipeline looking?"})
        secret_conversation = answer.structured_content["conversation_id"]  # type: ignore[index]
        assert payload(await stranger.read_resource(f"frontdesk://contacts/{secret_contact}"))["id"]
    async with connect(server.url, server.owner_key) as owner:
        for uri in (
            f"frontdesk://contacts/{secret_contact}",
            f"frontdesk://conversations/{secret_conversation}",
        ):
            with pytest.raises(MCPError) as refused:
                await owner.read_resource(uri)
            assert refused.value.error.code == types.INVALID_PARAMS
            assert refused.value.error.message == f"Resource not found: {uri}"  # as for a missing one
        listed = {r.uri for r in (await owner.list_resources()).resources}
        assert f"frontdesk://conversations/{secret_conversation}" not in listed


async def test_department_prompts_list_get_and_complete(server: Server) -> None:
    async with connect(server.url, server.owner_key) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert {"sales", "marketing", "support", "operations", "data"} <= set(prompts)
        sales = prompts["sales"]
        assert sales.title == "Ask sales" and "How is the pipeline looking?" in (sales.description or "")
        assert [(a.name, a.required) for a in sales.arguments or []] == [("question", False)]

        default = await client.get_prompt("sales")
        (message,) = default.messages
        assert message.role == "user" and message.content.text == "How is the pipeline looking?"  # type: ignore[union-attr]
        asked = await client.get_prompt("sales", {"question": "Who should I call today?"})
        assert asked.messages[0].content.text == "Who should I call today?"  # type: ignore[union-attr]
        with pytest.raises(MCPError):
            await client.get_prompt("no-such-department")

        ref = types.PromptReference(type="ref/prompt", name="sales")
        done = await client.complete(ref, {"name": "question", "value": "lead"})
        assert done.completion.values and all("lead" in v.lower() for v in done.completion.values)
        unknown = types.PromptReference(type="ref/prompt", name="test_prompt_with_arguments")
        assert (await client.complete(unknown, {"name": "arg1", "value": "x"})).completion.values == []


async def test_conversation_ids_complete_from_the_principals_own(server: Server) -> None:
    async with connect(server.url, server.owner_key) as client:
        answer = await client.call_tool("ask_frontdesk", {"question": "Show me the qualified leads"})
        conversation_id = answer.structured_content["conversation_id"]  # type: ignore[index]
        ref = types.ResourceTemplateReference(
            type="ref/resource", uri="frontdesk://conversations/{conversation_id}"
        )
        done = await client.complete(ref, {"name": "conversation_id", "value": conversation_id[:12]})
        assert conversation_id in done.completion.values


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")  # client side
async def test_logging_set_level_decides_what_the_client_hears(server: Server) -> None:
    heard: list[types.LoggingMessageNotificationParams] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        heard.append(params)

    async with connect(server.url, server.owner_key, logging_callback=on_log) as client:
        bad = {"limit": 0}  # invalid: an isError result, logged at "warning"
        assert (await client.call_tool("get_contacts", bad)).is_error  # default level: warning
        assert [(m.level, m.data["tool"]) for m in heard] == [("warning", "get_contacts")]

        await client.set_logging_level("error")
        assert (await client.call_tool("get_contacts", bad)).is_error
        assert len(heard) == 1  # below "error": not sent

        await client.set_logging_level("debug")
        assert not (await client.call_tool("get_contacts", {"limit": 1})).is_error
        assert [m.level for m in heard[1:]] == ["debug", "info"]
        assert heard[1].data == {"tool": "get_contacts", "arguments": {"limit": 1}}
        assert heard[2].data["ok"] is True and heard[2].logger == "frontdesk"


async def test_long_tools_send_progress_to_a_client_that_asks(server: Server) -> None:
    async with connect(server.url, server.owner_key) as client:
        steps: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            steps.append((progress, total, message))

        answer = await client.call_tool(
            "ask_frontdesk", {"question": "How is the pipeline looking?"}, progress_callback=on_progress
        )
        assert not answer.is_error
        assert len(steps) >= 3 and [s[0] for s in steps] == list(range(1, len(steps) + 1))
        assert steps[0][2] == "sales is answering" and "calling pipeline_summary" in [s[2] for s in steps]

        steps.clear()
        insights = await client.call_tool("quick_insights", {}, progress_callback=on_progress)
        assert not insights.is_error
        assert [(s[0], s[1]) for s in steps] == [(1, 3), (2, 3), (3, 3)]

        steps.clear()
        await client.call_tool("get_contacts", {"limit": 1})  # no progressToken, no progress
        assert steps == []
