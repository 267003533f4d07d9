"""The registry's second face: an MCP server serving the same tool specs the agent calls.

It is the `mcp` 2.x low-level `Server` with two handlers, because the registry — not a decorated
Python function — is the source of truth: every spec already carries its JSON schema (built-in
tools from their signature, external MCP tools from their server), and what a client sees depends
on who asks.

- `tools/list` answers with the tools the asking principal may use (`registry.visible_to`), each
  with its JSON schema and annotations (`readOnlyHint`, `destructiveHint`).
- `tools/call` runs `registry.call` with a `ToolContext` for that principal. Domain errors (a
  missing permission, bad arguments, not found) and crashes reach the client as `isError` results.

The principal is resolved per request by `resolve_principal`: a fixed API-key user on stdio,
the request's bearer on streamable HTTP (see `frontdesk/api/mcp_http.py`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from frontdesk import __version__
from frontdesk.config import Settings
from frontdesk.errors import FrontdeskError, NotFound
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext, ToolSpec
from frontdesk.tools.registry import ToolRegistry
from frontdesk.types import Principal

log = logging.getLogger(__name__)

RequestContext = ServerRequestContext[Any, Any]
PrincipalResolver = Callable[[RequestContext], Awaitable[Principal]]

INSTRUCTIONS = (
    "frontdesk's tools over your account's data: CRM contacts and leads, and every other tool family "
    "your role may use. `ask_frontdesk` hands a whole question to frontdesk's own agent."
)


def mcp_tool(spec: ToolSpec) -> types.Tool:
    """A registry spec as an MCP tool description."""
    return types.Tool(
        name=spec.name,
        description=spec.description,
        input_schema=spec.parameters,
        annotations=types.ToolAnnotations(read_only_hint=spec.read_only, destructive_hint=not spec.read_only),
    )


def tool_result(result: Any) -> types.CallToolResult:
    """A tool's return value as text (JSON) plus structured content."""
    payload = result if isinstance(result, dict) else {"result": result}
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=payload
    )


def tool_error(detail: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=detail)], is_error=True)


def build_mcp_server(
    registry: ToolRegistry, db: Database, settings: Settings, resolve_principal: PrincipalResolver
) -> Server[Any]:
    """An MCP server over `registry`; each request acts as `resolve_principal(ctx)`."""

    async def principal_for(ctx: RequestContext) -> Principal:
        try:
            return await resolve_principal(ctx)
        except FrontdeskError as e:
            raise MCPError(types.INVALID_REQUEST, e.detail) from e

    async def list_tools(
        ctx: RequestContext, _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        principal = await principal_for(ctx)
        return types.ListToolsResult(tools=[mcp_tool(s) for s in registry.visible_to(principal)])

    async def call_tool(ctx: RequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            principal = await resolve_principal(ctx)
            result = await registry.call(
                params.name, dict(params.arguments or {}), ToolContext(principal, db, settings)
            )
        except FrontdeskError as e:
            return tool_error(e.detail)
        except Exception:
            log.exception("MCP tool %s crashed", params.name)
            return tool_error(f"Tool {params.name} failed unexpectedly")
        return tool_result(result)

    def input_schema(name: str) -> Mapping[str, Any] | None:
        try:
            return registry.get(name).parameters
        except NotFound:
            return None

    return Server(
        "frontdesk",
        version=__version__,
        instructions=INSTRUCTIONS,
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve_stdio(server: Server[Any]) -> None:
    """Serve `server` over this process's stdin/stdout until the client disconnects.

    While serving, the SDK points fd 1 at stderr, so nothing but JSON-RPC reaches stdout."""
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
