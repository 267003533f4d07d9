"""`frontdesk mcp` spawned as a subprocess and driven by the real `mcp` client over stdio, as Claude
Desktop does: a temp data dir and an API key in the environment."""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from frontdesk.api.services import start_services
from frontdesk.config import Settings
from frontdesk.storage.apikeys import revoke_api_key
from frontdesk.storage.db import Database
from tests.conftest import demo_identity
from tests.mcp_support import WRITE_CALL, add_member, family_calls, new_key

FRONTDESK = Path(sys.executable).parent / "frontdesk"


@dataclass(frozen=True)
class Setup:
    data_dir: Path
    owner_key: str
    viewer_key: str
    spare_key_id: str
    spare_key: str
    owner_tools: list[str]

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.data_dir / 'frontdesk.db'}"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """A migrated, seeded data dir (SQLite, also when the suite runs on PostgreSQL) with API keys."""
    data_dir = tmp_path_factory.mktemp("mcp_stdio")

    async def prepare() -> Setup:
        url = f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}"
        services = await start_services(Settings(data_dir=data_dir, database_url=url, demo_contacts=60))
        try:
            owner = await demo_identity(services.db)
            viewer = await add_member(services.db, owner, "Viewer")
            tools = [s.name for s in services.registry.visible_to(owner.principal("mcp"))]
            _, owner_key = await new_key(services.db, owner, "Claude Desktop")
            _, viewer_key = await new_key(services.db, viewer)
            spare_id, spare_key = await new_key(services.db, owner, "to revoke")
        finally:
            await services.aclose()
        return Setup(data_dir, owner_key, viewer_key, spare_id, spare_key, tools)

    return asyncio.run(prepare())


def env_for(setup: Setup, key: str) -> dict[str, str]:
    return {"FRONTDESK_DATA_DIR": str(setup.data_dir), "FRONTDESK_MCP_API_KEY": key}


def stdio(setup: Setup, key: str) -> Client:
    """The same entry Claude Desktop runs: the venv's `frontdesk mcp` with the key in the env."""
    return Client(StdioServerParameters(command=str(FRONTDESK), args=["mcp"], env=env_for(setup, key)))


async def test_lists_and_calls_tools_of_each_family_and_ask_frontdesk(setup: Setup) -> None:
    async with stdio(setup, setup.owner_key) as client:
        listed = [t.name for t in (await client.list_tools()).tools]
        assert sorted(listed) == sorted(setup.owner_tools)
        assert "ask_frontdesk" in listed
        for family, (tool, args) in family_calls(listed).items():
            result = await client.call_tool(tool, args)
            assert not result.is_error, (family, result.content)
            assert isinstance(result.structured_content, dict)
            assert json.loads(result.content[0].text) == result.structured_content
        contacts = (await client.call_tool("get_contacts", {"tags": ["VIP"], "limit": 3})).structured_content
        assert contacts is not None and contacts["total"] > 0

        # ask_frontdesk: a whole agent turn in one call
        result = await client.call_tool("ask_frontdesk", {"question": "How is the pipeline looking?"})
        assert not result.is_error, result.content
        answer = result.structured_content
        assert answer is not None
        assert answer["answer"].startswith("Your pipeline has")
        assert answer["department"] == "sales"
        assert [c["tool"] for c in answer["tools_used"]] == ["pipeline_summary"]
        assert answer["conversation_id"].startswith("conv:")

        question = "which contacts are tagged VIP?"
        follow_up = await client.call_tool(
            "ask_frontdesk", {"question": question, "conversation_id": answer["conversation_id"]}
        )
        assert not follow_up.is_error and follow_up.structured_content is not None
        assert follow_up.structured_content["conversation_id"] == answer["conversation_id"]
        assert "VIP" in follow_up.structured_content["answer"]
        foreign = await client.call_tool(
            "ask_frontdesk", {"question": question, "conversation_id": "conv:nope"}
        )
        assert foreign.is_error and "not found" in foreign.content[0].text.lower()


async def test_prompts_resources_and_tool_metadata_over_stdio(setup: Setup) -> None:
    async with stdio(setup, setup.owner_key) as client:
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        assert {"sales", "marketing", "support", "operations", "data"} <= prompts
        question = (await client.get_prompt("data")).messages[0].content
        assert question.type == "text" and question.text
        catalog = (await client.read_resource("frontdesk://catalog")).contents[0]
        assert '"objects"' in catalog.text  # type: ignore[union-attr]
        tools = {t.name: t for t in (await client.list_tools()).tools}
        create = tools["create_contact"]
        assert create.title == "Create a contact" and create.output_schema
        assert create.annotations and create.annotations.destructive_hint is False


async def test_a_viewer_key_sees_no_write_tools_and_is_refused(setup: Setup) -> None:
    tool, args = WRITE_CALL
    async with stdio(setup, setup.viewer_key) as client:
        listed = {t.name for t in (await client.list_tools()).tools}
        assert "get_contacts" in listed and tool not in listed
        refused = await client.call_tool(tool, args)
        assert refused.is_error and "crm.write" in refused.content[0].text
        assert not (await client.call_tool("get_contacts", {"limit": 1})).is_error


async def test_revoking_the_key_takes_effect_mid_session(setup: Setup) -> None:
    async with stdio(setup, setup.spare_key) as client:
        assert not (await client.call_tool("pipeline_summary", {})).is_error
        db = Database(setup.database_url)
        try:
            async with db.session() as s:
                owner = await demo_identity(db)
                await revoke_api_key(s, owner.account.id, setup.spare_key_id)
        finally:
            await db.close()
        after = await client.call_tool("pipeline_summary", {})
        assert after.is_error and "Invalid or revoked API key" in after.content[0].text


async def test_helper_runs_invoked_over_stdio_complete_in_the_mcp_process(setup: Setup) -> None:
    from frontdesk.tools.base import ToolContext
    from frontdesk.tools.helpers.manage import create_helper

    db = Database(setup.database_url)
    try:
        owner = await demo_identity(db)
        settings = Settings(data_dir=setup.data_dir, database_url=setup.database_url)
        ctx = ToolContext(owner.principal("cli"), db, settings)
        helper = await create_helper(
            ctx, name="Tag from MCP", helper_type="tag_it", config={"tag_name": "via-mcp"}
        )
    finally:
        await db.close()
    async with stdio(setup, setup.owner_key) as client:
        contacts = (await client.call_tool("get_contacts", {"limit": 1})).structured_content
        assert contacts is not None
        contact_id = contacts["contacts"][0]["id"]
        queued = await client.call_tool(
            "invoke_helper", {"helper_id": helper["helper_id"], "contact_id": contact_id}
        )
        assert not queued.is_error and queued.structured_content is not None, queued.content
        execution_id = queued.structured_content["execution_id"]
        execution: dict[str, object] = {}
        for _ in range(150):  # the worker started by `frontdesk mcp` picks it up
            execution = (
                await client.call_tool("get_execution", {"execution_id": execution_id})
            ).structured_content or {}
            if execution.get("status") in ("completed", "failed"):
                break
            await asyncio.sleep(0.2)
        assert execution["status"] == "completed", execution
        detail = await client.call_tool("get_contact_detail", {"contact_id": contact_id})
        assert "via-mcp" in detail.content[0].text  # type: ignore[union-attr]


def run_frontdesk_mcp(setup: Setup, key: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {"FRONTDESK_DATA_DIR": str(setup.data_dir)} | ({"FRONTDESK_MCP_API_KEY": key} if key else {})
    return subprocess.run(
        [str(FRONTDESK), "mcp"], env=env, capture_output=True, text=True, timeout=120, input=""
    )


def test_a_bad_or_missing_key_stops_with_a_clear_message(setup: Setup) -> None:
    bad = run_frontdesk_mcp(setup, "fdk_wrong")
    assert bad.returncode == 2 and "Invalid or revoked API key" in bad.stderr and bad.stdout == ""
    missing = run_frontdesk_mcp(setup, None)
    assert missing.returncode == 2 and "FRONTDESK_MCP_API_KEY" in missing.stderr and missing.stdout == ""


@pytest.fixture
def raw_server(setup: Setup) -> Iterator[subprocess.Popen[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")} | env_for(
        setup, setup.owner_key
    )
    proc = subprocess.Popen(
        [str(FRONTDESK), "mcp"],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield proc
    proc.kill()
    proc.wait(timeout=10)
    assert proc.stderr is not None and proc.stdout is not None
    proc.stderr.close()
    proc.stdout.close()


def test_stdout_carries_only_json_rpc(raw_server: subprocess.Popen[str]) -> None:
    assert raw_server.stdin is not None and raw_server.stdout is not None

    def send(message: dict[str, object]) -> None:
        assert raw_server.stdin is not None
        raw_server.stdin.write(json.dumps(message) + "\n")
        raw_server.stdin.flush()

    def read_line(timeout: float = 60) -> str:
        assert raw_server.stdout is not None
        ready, _, _ = select.select([raw_server.stdout], [], [], timeout)
        assert ready, "no answer on stdout"
        return raw_server.stdout.readline()

    send(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"},
            },
        }
    )
    init = json.loads(read_line())
    assert init["id"] == 1 and init["result"]["serverInfo"]["name"] == "frontdesk"
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    send(
        {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "pipeline_summary", "arguments": {}},
        }
    )
    lines = [read_line()]
    while json.loads(lines[-1]).get("id") != 2:
        lines.append(read_line())
    for line in lines:
        assert json.loads(line)["jsonrpc"] == "2.0"
    assert json.loads(lines[-1])["result"]["isError"] is False
