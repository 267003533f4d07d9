"""The one tool registry. The agent calls tools in process; the MCP face serves the same specs."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from pydantic import ValidationError

from frontdesk import metrics, tracing
from frontdesk.errors import Forbidden, Invalid, NotFound
from frontdesk.storage.events import Event
from frontdesk.tools.base import ToolContext, ToolFn, ToolSpec, describe
from frontdesk.tools.connectors.base import ConnectorError
from frontdesk.types import Principal


def _validation_detail(e: ValidationError) -> str:
    parts = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"]) or "arguments"
        parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


T = TypeVar("T")


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, ToolSpec] = {}
        self._derived: dict[Hashable, Any] = {}  # `cached`: emptied whenever a tool is added

    def add(
        self, fn: ToolFn, *, permission: str, read_only: bool = True, name: str | None = None
    ) -> ToolSpec:
        return self.add_spec(describe(fn, permission=permission, read_only=read_only, name=name))

    def add_spec(self, spec: ToolSpec) -> ToolSpec:
        """Register a ready-made spec (an external MCP server's tool brings its own schema)."""
        if spec.name in self._tools:
            raise ValueError(f"tool {spec.name} registered twice")
        self._tools[spec.name] = spec
        self._derived.clear()
        return spec

    def cached(self, key: Hashable, make: Callable[[], T]) -> T:
        """A value derived only from the registered tools and `key` (e.g. the schemas a department's
        list shows a set of permissions, built on every model call of every turn otherwise), made
        once and kept until a tool is added."""
        if key not in self._derived:
            if len(self._derived) >= 1024:  # bounded: keys carry permission sets
                self._derived.clear()
            self._derived[key] = make()
        return self._derived[key]  # type: ignore[no-any-return]

    def get(self, name: str) -> ToolSpec:
        try:
            return self._tools[name]
        except KeyError:
            raise NotFound(f"Unknown tool '{name}'") from None

    def names(self) -> list[str]:
        return list(self._tools)

    def visible_to(self, principal: Principal, only: list[str] | None = None) -> list[ToolSpec]:
        """Tools the principal may use (optionally limited to a department's list, where
        `<server>__*` names every tool of an external MCP server)."""
        specs = (
            [self._tools[n] for entry in only for n in self._expand(entry)]
            if only is not None
            else self._tools.values()
        )
        return [s for s in specs if principal.can(s.permission)]

    def _expand(self, entry: str) -> list[str]:
        if entry.endswith("__*"):
            return [n for n in self._tools if n.startswith(entry[:-1])]
        return [entry] if entry in self._tools else []

    async def call(self, name: str, arguments: dict[str, Any], ctx: ToolContext) -> Any:
        """Validate arguments against the tool's schema and run it. Raises domain errors. Every
        face (chat, MCP, helpers, scheduled jobs) calls tools here, so this is where a call is
        counted and timed (`/metrics`), traced, and where a failing platform is announced."""
        with metrics.tool_call(name), tracing.span(f"tool {name}", tool=name):
            return await self._call(name, arguments, ctx)

    async def _call(self, name: str, arguments: dict[str, Any], ctx: ToolContext) -> Any:
        spec = self.get(name)
        if not ctx.principal.can(spec.permission):
            raise Forbidden(f"Permission '{spec.permission}' is required for {name}")
        try:
            args = spec.args_model.model_validate(arguments or {})
        except ValidationError as e:
            raise Invalid(f"Invalid arguments for {name}: {_validation_detail(e)}") from e
        try:
            return await spec.fn(ctx, **{k: getattr(args, k) for k in type(args).model_fields})
        except ConnectorError as e:  # an outside platform failed: the account hears of it live
            data = {"source": "tool", "tool": name, "code": e.code, "error": e.detail}
            ctx.db.events.publish(Event(ctx.principal.account_id, "integration.error", data))
            raise


def default_registry() -> ToolRegistry:
    """The registry with every built-in tool family."""
    from frontdesk.tools import ads, analytics, crm, explorer, search
    from frontdesk.tools.helpers import tools as helper_tools

    registry = ToolRegistry()
    crm.register(registry)
    explorer.register(registry)
    ads.register(registry)
    analytics.register(registry)
    search.register(registry)
    helper_tools.register(registry)
    return registry
