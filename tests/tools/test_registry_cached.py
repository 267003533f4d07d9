"""`ToolRegistry.cached` and the agent's tool schemas built on it (`agent.graph._tool_schemas`):
made once per department list and permissions, made again after a tool is added."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk.agent.graph import _tool_schemas
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry
from frontdesk.types import Principal


async def first(ctx: ToolContext) -> str:
    """The first tool."""
    return "1"


async def second(ctx: ToolContext) -> str:
    """The second tool."""
    return "2"


@dataclass
class Dept:
    tools: tuple[str, ...]


@dataclass
class Deps:
    registry: ToolRegistry
    tool_ctx: Any


def _principal(*permissions: str) -> Principal:
    return Principal(user_id="u", account_id="a", role="member", permissions=frozenset(permissions))


def test_schemas_follow_permissions_and_added_tools() -> None:
    registry = ToolRegistry()
    registry.add(first, permission="crm.read", name="x__first")
    reader, nobody = _principal("crm.read"), _principal()
    dept = Dept(("x__*",))

    def names(principal: Principal) -> list[str]:
        deps = Deps(registry, ToolContext(principal, None, None))  # type: ignore[arg-type]
        return [s.name for s in _tool_schemas(deps, dept)]  # type: ignore[arg-type]

    assert names(reader) == ["x__first"] and names(nobody) == []
    shown = names(reader)
    shown.append("changed by a caller")  # a copy: the cached schemas stay as they were
    assert names(reader) == ["x__first"]
    registry.add(second, permission="crm.read", name="x__second")
    assert names(reader) == ["x__first", "x__second"]  # the cache was emptied by `add`


def test_cached_makes_once_per_key() -> None:
    registry, made = ToolRegistry(), []

    def make() -> int:
        made.append(1)
        return len(made)

    assert registry.cached("k", make) == 1 and registry.cached("k", make) == 1
    assert registry.cached("other", make) == 2
    registry.add(first, permission="crm.read")
    assert registry.cached("k", make) == 3
