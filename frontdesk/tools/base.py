"""What a tool receives (`ToolContext`) and how a tool is described (`ToolSpec`)."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from frontdesk.config import Settings
from frontdesk.errors import Forbidden
from frontdesk.storage.db import Database
from frontdesk.types import Principal

ToolFn = Callable[..., Awaitable[Any]]
ProgressFn = Callable[[float, "float | None", "str | None"], Awaitable[None]]
"""`(progress, total, message)`: a long tool's step; the MCP face relays it to a client that asked."""


async def no_progress(progress: float, total: float | None = None, message: str | None = None) -> None:
    """Where progress goes when nobody listens (the in-process agent, REST routes)."""


@dataclass(frozen=True, slots=True)
class ToolContext:
    """Passed as the first argument of every tool. Authorization is checked here, in the tool
    layer, against the principal resolved at the door — never left to the model."""

    principal: Principal
    db: Database
    settings: Settings
    progress: ProgressFn = no_progress

    def require(self, permission: str) -> None:
        if not self.principal.can(permission):
            raise Forbidden(f"Permission '{permission}' is required")


@dataclass(frozen=True, slots=True)
class ToolSpec:
    name: str
    description: str
    fn: ToolFn
    permission: str
    read_only: bool
    args_model: type[BaseModel]
    parameters: dict[str, Any] = field(default_factory=dict)


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def describe(fn: ToolFn, *, permission: str, read_only: bool, name: str | None = None) -> ToolSpec:
    """Build a `ToolSpec` from a function `async def tool(ctx: ToolContext, ...)`.

    The JSON schema comes from the signature (types, defaults, `Annotated[..., Field(...)]`
    descriptions); the description is the docstring's first paragraph.
    """
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"tool {fn.__name__} must be async")
    hints = typing.get_type_hints(fn, include_extras=True)
    params = list(inspect.signature(fn).parameters.values())
    if not params or hints.get(params[0].name) is not ToolContext:
        raise TypeError(f"tool {fn.__name__} must take ctx: ToolContext first")
    fields: dict[str, Any] = {}
    for p in params[1:]:
        default = ... if p.default is inspect.Parameter.empty else p.default
        fields[p.name] = (hints.get(p.name, Any), default)
    model = create_model(f"{fn.__name__}_args", __base__=_Args, **fields)
    schema = model.model_json_schema()
    schema.pop("title", None)
    doc = inspect.getdoc(fn) or fn.__name__
    return ToolSpec(
        name=name or fn.__name__,
        description=doc.split("\n\n")[0].replace("\n", " "),
        fn=fn,
        permission=permission,
        read_only=read_only,
        args_model=model,
        parameters=schema,
    )
