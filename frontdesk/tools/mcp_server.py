"""The registry's second face: an MCP server serving the same tool specs the agent calls.

It is the `mcp` 2.x low-level `Server`, because the registry — not a decorated Python function —
is the source of truth: every spec already carries its JSON schema (built-in tools from their
signature, external MCP tools from their server), and what a client sees depends on who asks.

- tools: `tools/list` answers with the tools the asking principal may use, each with a title,
  annotations and an `outputSchema` (`mcp_metadata.py`); `tools/call` runs `registry.call` with a
  `ToolContext` for that principal. Domain errors and crashes reach the client as `isError`
  results. A client that sends a `progressToken` gets `notifications/progress` from tools that
  report steps (`ToolContext.progress`: `ask_frontdesk`, `quick_insights`).
- resources: `frontdesk://` URIs for the catalog, conversations and contacts (`mcp_resources.py`).
- prompts: each department's example questions (`mcp_prompts.py`), handed in by the caller.
- completion: prompt questions and conversation ids.
- logging: `logging/setLevel` sets, per MCP session, the lowest level of the `notifications/message`
  entries this server sends about tool calls (default `warning`: failures only).

The principal is resolved per request by `resolve_principal`: a fixed API-key user on stdio,
the request's bearer on streamable HTTP (see `frontdesk/api/mcp_http.py`).
"""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import mcp_types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError

from frontdesk import __version__
from frontdesk.config import Settings
from frontdesk.errors import FrontdeskError, NotFound
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext
from frontdesk.tools.mcp_metadata import mcp_tool
from frontdesk.tools.mcp_prompts import DepartmentPrompt, PromptBook
from frontdesk.tools.mcp_resources import TEMPLATES, ResourceShelf
from frontdesk.tools.registry import ToolRegistry
from frontdesk.types import Principal

log = logging.getLogger(__name__)

RequestContext = ServerRequestContext[Any, Any]
PrincipalResolver = Callable[[RequestContext], Awaitable[Principal]]

INSTRUCTIONS = (
    "frontdesk's tools over your account's data: CRM contacts and leads, and every other tool family "
    "your role may use. `ask_frontdesk` hands a whole question to frontdesk's own agent. Resources: "
    "frontdesk://catalog, frontdesk://conversations/{id}, frontdesk://contacts/{id}; prompts: one per "
    "department with its example questions."
)
LEVELS: tuple[types.LoggingLevel, ...] = (
    "debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"
)  # fmt: skip
DEFAULT_LEVEL: types.LoggingLevel = "warning"
MAX_SESSIONS = 10_000


def tool_result(result: Any) -> types.CallToolResult:
    """A tool's return value as text (JSON) plus structured content."""
    payload = result if isinstance(result, dict) else {"result": result}
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=payload
    )


def tool_error(detail: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=detail)], is_error=True)


def session_key(ctx: RequestContext) -> str:
    """The MCP session this request belongs to: its `Mcp-Session-Id` on HTTP, one on stdio."""
    headers = getattr(ctx.request, "headers", None)
    return (headers.get("mcp-session-id") if headers is not None else None) or "stdio"


class SessionLog:
    """`logging/setLevel` per MCP session, and the `notifications/message` sends it gates."""

    def __init__(self) -> None:
        self._levels: OrderedDict[str, types.LoggingLevel] = OrderedDict()

    def set_level(self, ctx: RequestContext, level: types.LoggingLevel) -> None:
        key = session_key(ctx)
        self._levels[key] = level
        self._levels.move_to_end(key)
        while len(self._levels) > MAX_SESSIONS:
            self._levels.popitem(last=False)

    async def send(self, ctx: RequestContext, level: types.LoggingLevel, data: Any) -> None:
        threshold = self._levels.get(session_key(ctx), DEFAULT_LEVEL)
        if LEVELS.index(level) < LEVELS.index(threshold):
            return
        with warnings.catch_warnings():  # logging is deprecated in the 2026-07-28 protocol only
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            await ctx.session.send_log_message(level, data, "frontdesk", related_request_id=ctx.request_id)


def build_mcp_server(
    registry: ToolRegistry,
    db: Database,
    settings: Settings,
    resolve_principal: PrincipalResolver,
    prompts: Sequence[DepartmentPrompt] = (),
) -> Server[Any]:
    """An MCP server over `registry`; each request acts as `resolve_principal(ctx)`."""
    shelf = ResourceShelf(registry)
    book = PromptBook(prompts)
    session_log = SessionLog()

    async def tool_context(ctx: RequestContext) -> ToolContext:
        try:
            principal = await resolve_principal(ctx)
        except FrontdeskError as e:
            raise MCPError(types.INVALID_REQUEST, e.detail) from e

        async def progress(done: float, total: float | None = None, message: str | None = None) -> None:
            await ctx.session.report_progress(done, total, message)  # no-op without a progressToken

        return ToolContext(principal, db, settings, progress=progress)

    async def list_tools(ctx: RequestContext, _params: Any) -> types.ListToolsResult:
        principal = (await tool_context(ctx)).principal
        return types.ListToolsResult(tools=[mcp_tool(s) for s in registry.visible_to(principal)])

    async def call_tool(ctx: RequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        started = time.monotonic()
        try:
            tool_ctx = await tool_context(ctx)
            await session_log.send(ctx, "debug", {"tool": params.name, "arguments": params.arguments})
            result = await registry.call(params.name, dict(params.arguments or {}), tool_ctx)
        except (FrontdeskError, MCPError) as e:
            detail = e.detail if isinstance(e, FrontdeskError) else e.error.message
            await session_log.send(ctx, "warning", {"tool": params.name, "error": detail})
            return tool_error(detail)
        except Exception:
            log.exception("MCP tool %s crashed", params.name)
            await session_log.send(ctx, "error", {"tool": params.name, "error": "crashed"})
            return tool_error(f"Tool {params.name} failed unexpectedly")
        elapsed_ms = round((time.monotonic() - started) * 1000)
        await session_log.send(ctx, "info", {"tool": params.name, "ok": True, "ms": elapsed_ms})
        return tool_result(result)

    async def list_resources(ctx: RequestContext, _params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=await shelf.list(await tool_context(ctx)))

    async def list_templates(ctx: RequestContext, _params: Any) -> types.ListResourceTemplatesResult:
        await tool_context(ctx)  # authenticated like every other request
        return types.ListResourceTemplatesResult(resource_templates=TEMPLATES)

    async def read_resource(
        ctx: RequestContext, params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        return await shelf.read(await tool_context(ctx), str(params.uri))

    async def list_prompts(ctx: RequestContext, _params: Any) -> types.ListPromptsResult:
        await tool_context(ctx)
        return types.ListPromptsResult(prompts=book.list())

    async def get_prompt(ctx: RequestContext, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        await tool_context(ctx)
        return book.get(params.name, params.arguments)

    async def complete(ctx: RequestContext, params: types.CompleteRequestParams) -> types.CompleteResult:
        tool_ctx = await tool_context(ctx)
        ref, arg = params.ref, params.argument
        if isinstance(ref, types.PromptReference):
            values = book.complete(ref.name, arg.name, arg.value)
        else:
            values = await shelf.complete(tool_ctx, ref.uri, arg.name, arg.value)
        return types.CompleteResult(
            completion=types.Completion(values=values[:100], total=len(values), has_more=len(values) > 100)
        )

    async def set_level(ctx: RequestContext, params: types.SetLevelRequestParams) -> types.EmptyResult:
        await tool_context(ctx)
        session_log.set_level(ctx, params.level)
        return types.EmptyResult()

    def input_schema(name: str) -> Mapping[str, Any] | None:
        try:
            return registry.get(name).parameters
        except NotFound:
            return None

    with warnings.catch_warnings():  # on_set_logging_level: deprecated from protocol 2026-07-28 on
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        return Server(
            "frontdesk",
            version=__version__,
            title="frontdesk",
            instructions=INSTRUCTIONS,
            get_tool_input_schema=input_schema,
            on_list_tools=list_tools,
            on_call_tool=call_tool,
            on_list_resources=list_resources,
            on_list_resource_templates=list_templates,
            on_read_resource=read_resource,
            on_list_prompts=list_prompts if book else None,
            on_get_prompt=get_prompt if book else None,
            on_completion=complete,
            on_set_logging_level=set_level,
        )


async def serve_stdio(server: Server[Any]) -> None:
    """Serve `server` over this process's stdin/stdout until the client disconnects.

    While serving, the SDK points fd 1 at stderr, so nothing but JSON-RPC reaches stdout."""
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
