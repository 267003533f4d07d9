"""The registry's second face: an MCP server (`mcp` 2.x `MCPServer`) serving the same tool specs.

Each spec becomes an MCP tool whose signature is the tool's own minus `ctx`; the principal is
resolved per call by `resolve_principal` (a fixed API-key user on stdio, the bearer on HTTP), and
the domain errors a tool raises reach the client as `isError` results.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

from frontdesk import __version__
from frontdesk.config import Settings
from frontdesk.errors import FrontdeskError
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext, ToolSpec
from frontdesk.tools.registry import ToolRegistry
from frontdesk.types import Principal

PrincipalResolver = Callable[[Context], Awaitable[Principal]]


def _mcp_function(
    spec: ToolSpec, registry: ToolRegistry, db: Database, settings: Settings, resolve: PrincipalResolver
) -> Callable[..., Awaitable[Any]]:
    async def call(**kwargs: Any) -> dict[str, Any]:
        mcp_ctx: Context = kwargs.pop("mcp_ctx")
        principal = await resolve(mcp_ctx)
        try:
            result = await registry.call(spec.name, kwargs, ToolContext(principal, db, settings))
        except FrontdeskError as e:
            raise ToolError(e.detail) from e
        return result if isinstance(result, dict) else {"result": result}

    params = list(inspect.signature(spec.fn).parameters.values())[1:]
    hints = typing.get_type_hints(spec.fn, include_extras=True)
    sig_params = [p.replace(annotation=hints.get(p.name, Any)) for p in params]
    sig_params.append(inspect.Parameter("mcp_ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    call.__signature__ = inspect.Signature(sig_params, return_annotation=dict[str, Any])  # type: ignore[attr-defined]
    call.__annotations__ = {p.name: p.annotation for p in sig_params} | {"return": dict[str, Any]}
    call.__name__ = spec.name
    return call


def build_mcp_server(
    registry: ToolRegistry,
    db: Database,
    settings: Settings,
    resolve_principal: PrincipalResolver,
    *,
    visible_to: Principal | None = None,
) -> MCPServer:
    """An `MCPServer` exposing the registry. With `visible_to`, only that principal's tools are listed."""
    server: MCPServer = MCPServer(
        name="frontdesk",
        version=__version__,
        instructions="frontdesk tools: CRM contacts, leads and pipeline of your account.",
    )
    specs = registry.visible_to(visible_to) if visible_to else [registry.get(n) for n in registry.names()]
    for spec in specs:
        server.add_tool(
            _mcp_function(spec, registry, db, settings, resolve_principal),
            name=spec.name,
            description=spec.description,
            annotations=ToolAnnotations(
                readOnlyHint=spec.read_only, destructiveHint=not spec.read_only, openWorldHint=False
            ),
        )
    return server
