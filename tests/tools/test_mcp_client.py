"""External MCP servers join the registry: a tiny real MCP server spawned over stdio."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from mcp import Client
from pydantic import ValidationError

from frontdesk.agent.departments import Department, load_department
from frontdesk.agent.events import Done, ToolReturned
from frontdesk.agent.model import (
    ChatMessage,
    ModelChunk,
    TextChunk,
    ToolCall,
    ToolCallChunk,
    ToolSchema,
    UsageChunk,
)
from frontdesk.agent.turn import Agent
from frontdesk.config import McpServerConfig, Settings
from frontdesk.errors import Forbidden, Invalid, ToolFailure
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext
from frontdesk.tools.mcp_client import ExternalServers
from frontdesk.tools.mcp_server import RequestContext, build_mcp_server
from frontdesk.tools.registry import ToolRegistry, default_registry
from frontdesk.types import InboundMessage, Principal
from tests.conftest import demo_identity

ECHO_SERVER = Path(__file__).parent / "mcp_servers" / "echo_server.py"


def echo_config(**overrides: object) -> McpServerConfig:
    return McpServerConfig(**({"command": sys.executable, "args": [str(ECHO_SERVER)]} | overrides))


@pytest.fixture
async def connected() -> AsyncIterator[tuple[ToolRegistry, ExternalServers]]:
    registry = default_registry()
    servers = ExternalServers(
        {
            "echo": echo_config(),
            "missing": McpServerConfig(command="/nonexistent/mcp-server"),
            "crashes": McpServerConfig(command=sys.executable, args=["-c", "raise SystemExit(3)"]),
        },
        timeout=20,
    )
    await servers.start(registry)
    yield registry, servers
    await servers.aclose()


async def test_tools_join_the_registry_and_failing_servers_are_skipped(
    connected: tuple[ToolRegistry, ExternalServers], db: Database, settings: Settings
) -> None:
    registry, servers = connected
    assert servers.tools == {"echo": ["echo__echo", "echo__add", "echo__fail"]}
    assert set(servers.failed) == {"missing", "crashes"}
    assert "FileNotFoundError" in servers.failed["missing"]
    assert {"get_contacts", "echo__echo"} <= set(registry.names())

    spec = registry.get("echo__echo")
    assert spec.permission == "chat" and spec.read_only is True
    assert spec.parameters["properties"]["text"]["description"] == "What to say back."
    assert registry.get("echo__fail").read_only is False

    ctx = ToolContext((await demo_identity(db)).principal("mcp"), db, settings)
    assert await registry.call("echo__add", {"a": 2, "b": 40}, ctx) == {"sum": 42}
    assert await registry.call("echo__echo", {"text": "hi", "shout": True}, ctx) == {"result": "HI"}
    with pytest.raises(ToolFailure, match="refused: because"):
        await registry.call("echo__fail", {"reason": "because"}, ctx)
    with pytest.raises(Invalid, match="unexpected"):
        await registry.call("echo__echo", {"text": "hi", "unexpected": 1}, ctx)
    with pytest.raises(Invalid, match="text: Field required"):
        await registry.call("echo__echo", {"shout": True}, ctx)
    with pytest.raises(ToolFailure, match="valid integer"):
        await registry.call("echo__add", {"a": "two", "b": 1}, ctx)  # types are checked by the server


async def test_a_server_that_never_answers_is_skipped_in_time() -> None:
    registry = ToolRegistry()
    silent = McpServerConfig(command=sys.executable, args=["-c", "import time; time.sleep(60)"])
    servers = ExternalServers({"silent": silent}, timeout=1.5)
    await servers.start(registry)
    try:
        assert servers.failed == {"silent": "no answer within 1.5 s"}
        assert servers.tools == {} and registry.names() == []
    finally:
        await servers.aclose()


async def test_departments_name_external_tools(
    connected: tuple[ToolRegistry, ExternalServers], db: Database
) -> None:
    registry, _ = connected
    principal = (await demo_identity(db)).principal("mcp")
    one = registry.visible_to(principal, ["get_contacts", "echo__add"])
    assert [s.name for s in one] == ["get_contacts", "echo__add"]
    whole_server = registry.visible_to(principal, ["echo__*"])
    assert [s.name for s in whole_server] == ["echo__echo", "echo__add", "echo__fail"]
    assert registry.visible_to(principal, ["get_contacts"])[0].name == "get_contacts"


async def test_external_tools_respect_the_configured_permission(db: Database, settings: Settings) -> None:
    registry = ToolRegistry()
    servers = ExternalServers({"echo": echo_config(permission="crm.write")}, timeout=8)
    await servers.start(registry)
    try:
        identity = await demo_identity(db)
        viewer = Principal(identity.user.id, identity.account.id, "Viewer", frozenset({"chat", "crm.read"}))
        assert registry.visible_to(viewer) == []
        with pytest.raises(Forbidden, match=r"crm\.write"):
            await registry.call("echo__echo", {"text": "x"}, ToolContext(viewer, db, settings))
    finally:
        await servers.aclose()


async def test_external_tools_are_served_on_the_mcp_face(
    connected: tuple[ToolRegistry, ExternalServers], db: Database, settings: Settings
) -> None:
    registry, _ = connected
    principal = (await demo_identity(db)).principal("mcp")

    async def resolve(_ctx: RequestContext) -> Principal:
        return principal

    async with Client(build_mcp_server(registry, db, settings, resolve)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["echo__add"].annotations.read_only_hint is True
        result = await client.call_tool("echo__add", {"a": 1, "b": 2})
        assert not result.is_error and result.structured_content == {"sum": 3}
        failed = await client.call_tool("echo__fail", {"reason": "nope"})
        assert failed.is_error and "refused: nope" in failed.content[0].text


async def test_closing_stops_the_server_processes() -> None:
    registry = ToolRegistry()
    servers = ExternalServers({"echo": echo_config()}, timeout=8)
    await servers.start(registry)
    await servers.aclose()
    await servers.aclose()  # idempotent
    ctx_free_call = registry.get("echo__add").fn
    with pytest.raises(ToolFailure, match="echo"):
        await ctx_free_call(None, a0=1, a1=2)


class RecordingModel:
    """A scripted `ChatModel`: calls `echo__add` once, then answers with the tool's result."""

    name = "recording"

    def __init__(self) -> None:
        self.offered: list[list[str]] = []

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        self.offered.append([t.name for t in tools])
        if messages[-1].role != "tool":
            yield ToolCallChunk(ToolCall("call_1", "echo__add", {"a": 19, "b": 23}))
        else:
            yield TextChunk(f"The server says {messages[-1].content}")
        yield UsageChunk(10, 5)


@pytest.fixture
def departments(tmp_path: Path) -> dict[str, Department]:
    """Two prompt files: `ops` names the echo server in its front matter, `sales` does not."""
    for name, tools, keyword in (("ops", "[echo__*]", "echo"), ("sales", "[get_contacts]", "lead")):
        front = f"name: {name}\ndescription: {name}\ntools: {tools}\nkeywords: [{keyword}]"
        (tmp_path / f"{name}.md").write_text(f"---\n{front}\n---\nYou are {name}.\n")
    return {d.name: d for d in map(load_department, sorted(tmp_path.glob("*.md")))}


async def test_a_department_naming_the_server_gives_its_agent_the_tools(
    connected: tuple[ToolRegistry, ExternalServers],
    db: Database,
    settings: Settings,
    departments: dict[str, Department],
) -> None:
    registry, _ = connected
    assert departments["ops"].tools == ("echo__*",)
    model = RecordingModel()
    agent = Agent(db, settings, registry, departments=departments, model_factory=lambda _name: model)
    principal = (await demo_identity(db)).principal("mcp")

    events = [e async for e in agent.run_turn(InboundMessage(principal, "echo: add 19 and 23"))]
    done = events[-1]
    assert isinstance(done, Done) and done.agent == "ops", events
    assert model.offered[0] == ["echo__echo", "echo__add", "echo__fail"]
    [returned] = [e for e in events if isinstance(e, ToolReturned)]
    assert returned.name == "echo__add" and returned.result == {"sum": 42} and not returned.is_error
    assert "42" in done.content

    model.offered.clear()
    events = [e async for e in agent.run_turn(InboundMessage(principal, "any new lead?"))]
    assert model.offered[0] == ["get_contacts"]  # sales does not name the echo server


def test_a_server_config_needs_exactly_one_transport() -> None:
    with pytest.raises(ValidationError, match="exactly one of 'command' or 'url'"):
        McpServerConfig()
    with pytest.raises(ValidationError, match="exactly one of 'command' or 'url'"):
        McpServerConfig(command="x", url="http://127.0.0.1:1/mcp")
    settings = Settings(mcp_servers={"wiki": {"url": "http://127.0.0.1:1/mcp", "permission": "crm.read"}})
    assert settings.mcp_servers["wiki"].permission == "crm.read"


def echo_over_http() -> Any:
    """The echo server's streamable HTTP app behind a bearer check (the `headers` of a URL server)."""
    spec = importlib.util.spec_from_file_location("echo_server", ECHO_SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.server.streamable_http_app(host="0.0.0.0")  # no DNS-rebinding allow-list in the way

    async def guarded(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != b"Bearer s3cret":
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await app(scope, receive, send)

    return guarded


@pytest.fixture(scope="module")
def http_echo_url() -> Iterator[str]:
    config = uvicorn.Config(echo_over_http(), host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/mcp"
    server.should_exit = True
    thread.join(timeout=10)


async def test_a_url_server_with_headers_joins_the_registry(
    http_echo_url: str, db: Database, settings: Settings
) -> None:
    registry = ToolRegistry()
    servers = ExternalServers(
        {
            "web": McpServerConfig(url=http_echo_url, headers={"Authorization": "Bearer s3cret"}),
            "nokey": McpServerConfig(url=http_echo_url),
        },
        timeout=15,
    )
    await servers.start(registry)
    try:
        assert servers.tools == {"web": ["web__echo", "web__add", "web__fail"]}
        assert set(servers.failed) == {"nokey"}
        ctx = ToolContext((await demo_identity(db)).principal("mcp"), db, settings)
        assert await registry.call("web__add", {"a": 2, "b": 3}, ctx) == {"sum": 5}
    finally:
        await servers.aclose()
