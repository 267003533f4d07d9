"""External MCP servers as extra tool sources, through the real `mcp` client.

Each server listed in `Settings.mcp_servers` (a stdio `command` or a streamable HTTP `url`) is
connected at start-up by a task that holds its `mcp.Client` open until `aclose()`. Its tools join
the registry as `<server>__<tool>`, with the server's own JSON schema and the configured
permission; departments name them in their prompt front matter (one by one, or `<server>__*`).
A server that fails to start, to answer or to list its tools in time is logged and skipped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from contextlib import AsyncExitStack
from typing import Any

import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult, TextContent, Tool
from pydantic import BaseModel, ConfigDict, Field, create_model

from frontdesk.config import McpServerConfig
from frontdesk.errors import ToolFailure
from frontdesk.tools.base import ToolContext, ToolSpec
from frontdesk.tools.registry import ToolRegistry

log = logging.getLogger(__name__)

SEPARATOR = "__"
_TOOL_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _target(config: McpServerConfig, stack: AsyncExitStack) -> Any:
    if config.command is not None:
        return StdioServerParameters(command=config.command, args=config.args, env=config.env, cwd=config.cwd)
    assert config.url is not None
    if not config.headers:
        return config.url
    http = httpx2.AsyncClient(headers=config.headers, timeout=httpx2.Timeout(30.0, read=300.0))
    stack.push_async_callback(http.aclose)
    return streamable_http_client(config.url, http_client=http)


def _arguments_model(name: str, schema: dict[str, Any]) -> tuple[type[BaseModel], dict[str, str]]:
    """A pydantic model accepting the schema's top-level properties (by their own names) and no
    others; the server validates the values. Fields are named `a0, a1, ...` so any property name works."""
    properties = list((schema.get("properties") or {}).keys())
    required = set(schema.get("required") or ())
    fields: dict[str, Any] = {
        f"a{i}": (Any, Field(... if key in required else None, alias=key)) for i, key in enumerate(properties)
    }
    model = create_model(f"{name}_args", __config__=ConfigDict(extra="forbid"), **fields)
    return model, {f"a{i}": key for i, key in enumerate(properties)}


def _result_payload(server: str, result: CallToolResult) -> dict[str, Any]:
    text = "\n".join(c.text for c in result.content if isinstance(c, TextContent))
    if result.is_error:
        raise ToolFailure(text or f"MCP server '{server}' reported an error")
    if isinstance(result.structured_content, dict):
        return result.structured_content
    return {"result": text}


def external_spec(server: str, config: McpServerConfig, client: Client, tool: Tool) -> ToolSpec:
    """An external tool as a registry spec that forwards calls to its server."""
    name = f"{server}{SEPARATOR}{tool.name}"
    schema = dict(tool.input_schema or {"type": "object", "properties": {}})
    args_model, wire_names = _arguments_model(name, schema)
    read_only = bool(tool.annotations and tool.annotations.read_only_hint)

    async def forward(ctx: ToolContext, **kwargs: Any) -> dict[str, Any]:
        arguments = {wire_names[k]: v for k, v in kwargs.items() if v is not None}
        try:
            result = await client.call_tool(tool.name, arguments)
        except Exception as e:
            raise ToolFailure(f"MCP server '{server}' failed to run {tool.name}: {e}") from e
        return _result_payload(server, result)

    forward.__name__ = name
    return ToolSpec(
        name=name,
        description=f"[{server}] {tool.description or tool.name}",
        fn=forward,
        permission=config.permission,
        read_only=read_only,
        args_model=args_model,
        parameters=schema,
    )


class ExternalServers:
    """The configured external MCP servers, each held open by its own task until `aclose()`."""

    def __init__(self, configs: dict[str, McpServerConfig], *, timeout: float) -> None:
        self._configs = configs
        self._timeout = timeout
        self._stop = asyncio.Event()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self.tools: dict[str, list[str]] = {}  # server -> registered tool names
        self.failed: dict[str, str] = {}  # server -> why it was skipped

    async def _hold(self, server: str, config: McpServerConfig, ready: asyncio.Future[Any]) -> None:
        try:
            async with AsyncExitStack() as stack:
                client = await stack.enter_async_context(Client(_target(config, stack)))
                tools = (await client.list_tools()).tools
                ready.set_result((client, tools))
                await self._stop.wait()
        except Exception as e:
            if not ready.done():
                ready.set_exception(e)
            else:
                log.warning("MCP server %r disconnected: %s", server, e)

    async def start(self, registry: ToolRegistry) -> None:
        """Connect every server at once, then register the tools of those that answered in time."""
        loop = asyncio.get_running_loop()
        ready: dict[str, asyncio.Future[Any]] = {}
        for server, config in self._configs.items():
            ready[server] = loop.create_future()
            self._tasks[server] = asyncio.create_task(
                self._hold(server, config, ready[server]), name=f"mcp-server:{server}"
            )
        if ready:
            await asyncio.wait(ready.values(), timeout=self._timeout)
        for server, future in ready.items():
            if not future.done():
                self._skip(server, f"no answer within {self._timeout:g} s")
            elif (error := future.exception()) is not None:
                while isinstance(error, BaseExceptionGroup) and error.exceptions:
                    error = error.exceptions[0]  # the task group's first failure says what went wrong
                self._skip(server, f"{type(error).__name__}: {error}")
            else:
                client, tools = future.result()
                self.tools[server] = self._register(registry, server, client, tools)
                log.info("MCP server %r connected: %d tools", server, len(self.tools[server]))

    def _skip(self, server: str, reason: str) -> None:
        log.warning("MCP server %r skipped: %s", server, reason)
        self.failed[server] = reason
        self._tasks[server].cancel()

    def _register(self, registry: ToolRegistry, server: str, client: Client, tools: list[Tool]) -> list[str]:
        names = []
        for tool in tools:
            spec = external_spec(server, self._configs[server], client, tool)
            if not _TOOL_NAME.match(spec.name):
                log.warning(
                    "MCP server %r: tool %r skipped (name not usable as %s)", server, tool.name, spec.name
                )
                continue
            try:
                names.append(registry.add_spec(spec).name)
            except ValueError as e:
                log.warning("MCP server %r: %s", server, e)
        return names

    async def aclose(self) -> None:
        """Close every connection (stdio servers are stopped); idempotent."""
        self._stop.set()
        tasks = list(self._tasks.values())
        self._tasks.clear()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=10)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
