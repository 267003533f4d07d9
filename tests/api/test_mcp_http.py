"""The MCP face over streamable HTTP at `/mcp`, on a real uvicorn server, through the real `mcp`
client: bearer JWT or API key, 401/403 at the door, per-principal tools, concurrent sessions, and an
external MCP server (spawned over stdio at start-up) whose tools join the registry."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from frontdesk.config import McpServerConfig
from frontdesk.storage.apikeys import revoke_api_key
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DEMO_EMAIL
from tests.conftest import _settings, demo_identity, serve
from tests.mcp_support import WRITE_CALL, add_member, family_calls, new_key

ECHO_SERVER = Path(__file__).parents[1] / "tools" / "mcp_servers" / "echo_server.py"
ALLOWED_ORIGIN = "https://app.example.com"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@dataclass(frozen=True)
class Server:
    url: str
    owner_key: str
    viewer_key: str
    revoked_key: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = _settings(
        tmp_path_factory.mktemp("mcp_http"),
        mcp_allowed_origins=[ALLOWED_ORIGIN],
        mcp_servers={
            "echo": McpServerConfig(command=sys.executable, args=[str(ECHO_SERVER)]),
            "broken": McpServerConfig(command="/nonexistent/mcp-server"),  # skipped, start-up goes on
        },
    )

    async def keys() -> tuple[str, str, str]:
        db = Database(settings.resolved_database_url)
        try:
            owner = await demo_identity(db)
            viewer = await add_member(db, owner, "Viewer")
            _, owner_key = await new_key(db, owner)
            _, viewer_key = await new_key(db, viewer)
            revoked_id, revoked_key = await new_key(db, owner)
            async with db.session() as s:
                await revoke_api_key(s, owner.account.id, revoked_id)
            return owner_key, viewer_key, revoked_key
        finally:
            await db.close()

    with serve(settings) as url:
        yield Server(url, *asyncio.run(keys()))


@asynccontextmanager
async def connect(url: str, token: str, mode: str = "legacy") -> AsyncIterator[Client]:
    """A real MCP client session on `/mcp` with a bearer credential."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=120.0)) as http:
        async with Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client:  # type: ignore[arg-type]
            yield client


def post_initialize(server: Server, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/mcp", json=INITIALIZE, headers=MCP_HEADERS | headers, timeout=30)


def test_missing_or_bad_credentials_are_401(server: Server) -> None:
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwdw=="},
        {"Authorization": "Bearer fdk_not-a-real-key"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": f"Bearer {server.revoked_key}"},
    ):
        r = post_initialize(server, headers)
        assert r.status_code == 401, headers
        assert r.headers["www-authenticate"].startswith('Bearer realm="frontdesk"')
        assert r.json()["detail"] and r.json()["code"] == "unauthenticated"
    assert post_initialize(server, {"Authorization": f"Bearer {server.owner_key}"}).status_code == 200


def test_a_foreign_origin_is_refused(server: Server) -> None:
    key = {"Authorization": f"Bearer {server.owner_key}"}
    for origin in ("https://evil.example", "null", "http://localhost:1"):
        r = post_initialize(server, key | {"Origin": origin})
        assert r.status_code == 403 and r.json()["detail"] == "Origin not allowed", origin
    assert post_initialize(server, key | {"Origin": ALLOWED_ORIGIN}).status_code == 200
    assert post_initialize(server, key | {"Origin": server.url}).status_code == 200  # same origin


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_lists_and_calls_one_tool_per_family(server: Server, mode: str) -> None:
    async with connect(server.url, server.owner_key, mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"ask_frontdesk", "echo__echo", "echo__add"} <= set(tools)
        assert not any(name.startswith("broken__") for name in tools)
        for family, (tool, args) in family_calls(list(tools)).items():
            result = await client.call_tool(tool, args)
            assert not result.is_error, (family, result.content)
            assert isinstance(result.structured_content, dict)
        external = await client.call_tool("echo__add", {"a": 20, "b": 22})
        assert not external.is_error and external.structured_content == {"sum": 42}
        answer = await client.call_tool("ask_frontdesk", {"question": "How is the pipeline looking?"})
        assert not answer.is_error and answer.structured_content is not None
        assert answer.structured_content["answer"].startswith("Your pipeline has")


async def test_a_jwt_bearer_works_too(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        login = await http.post("/auth/login", json={"email": DEMO_EMAIL, "password": "frontdesk-demo"})
    async with connect(server.url, login.json()["access_token"]) as client:
        result = await client.call_tool("pipeline_summary", {})
        assert not result.is_error and result.structured_content["total_leads"] > 0  # type: ignore[index]


async def test_a_viewer_is_refused_write_tools(server: Server) -> None:
    tool, args = WRITE_CALL
    async with connect(server.url, server.viewer_key) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "get_contacts" in names and tool not in names
        refused = await client.call_tool(tool, args)
        assert refused.is_error and "crm.write" in refused.content[0].text  # type: ignore[union-attr]


async def session_work(server: Server, key: str, rounds: int) -> tuple[set[str], list[int]]:
    async with connect(server.url, key) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        totals = []
        for i in range(rounds):
            result = await client.call_tool("get_contacts", {"limit": 2, "offset": i})
            assert not result.is_error, result.content
            totals.append(result.structured_content["total"])  # type: ignore[index]
        return names, totals


async def test_concurrent_sessions_each_act_as_their_principal(server: Server) -> None:
    keys = [server.owner_key, server.viewer_key] * 3
    results: list[Any] = await asyncio.gather(*(session_work(server, key, 3) for key in keys))
    owner_tools, viewer_tools = results[0][0], results[1][0]
    assert WRITE_CALL[0] in owner_tools and WRITE_CALL[0] not in viewer_tools
    for i, (names, totals) in enumerate(results):
        assert names == (owner_tools if i % 2 == 0 else viewer_tools)
        assert len(set(totals)) == 1 and totals[0] > 0  # same account, same contacts


def test_a_session_belongs_to_the_credential_that_opened_it(server: Server) -> None:
    owner = {"Authorization": f"Bearer {server.owner_key}"}
    opened = post_initialize(server, owner)
    session = {"Mcp-Session-Id": opened.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-06-18"}
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    viewer = {"Authorization": f"Bearer {server.viewer_key}"}
    hijack = httpx.post(f"{server.url}/mcp", json=listing, headers=MCP_HEADERS | session | viewer)
    assert hijack.status_code == 404
    own = httpx.post(f"{server.url}/mcp", json=listing, headers=MCP_HEADERS | session | owner)
    assert own.status_code == 200 and "get_contacts" in own.text
