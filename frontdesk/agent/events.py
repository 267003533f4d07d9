"""`AgentEvent`: the small tagged union streamed out of a turn. Channels render these; they never
see model- or platform-specific shapes."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class AgentChosen:
    department: str
    reason: str = ""
    type: Literal["agent"] = "agent"


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str
    type: Literal["delta"] = "delta"


@dataclass(frozen=True, slots=True)
class ToolCalled:
    id: str
    name: str
    arguments: dict[str, Any]
    type: Literal["tool_call"] = "tool_call"


@dataclass(frozen=True, slots=True)
class ToolReturned:
    id: str
    name: str
    result: Any
    is_error: bool = False
    type: Literal["tool_result"] = "tool_result"


@dataclass(frozen=True, slots=True)
class Status:
    text: str
    type: Literal["status"] = "status"


@dataclass(frozen=True, slots=True)
class Done:
    conversation_id: str
    message_id: str
    content: str
    agent: str
    usage: dict[str, int] = field(default_factory=dict)
    type: Literal["done"] = "done"


@dataclass(frozen=True, slots=True)
class Failed:
    detail: str
    code: str = "error"
    type: Literal["error"] = "error"


AgentEvent = AgentChosen | TextDelta | ToolCalled | ToolReturned | Status | Done | Failed


def event_dict(event: AgentEvent) -> dict[str, Any]:
    """The event as a dict (a new dict; its values are the event's own, not copies: a tool's
    result is not copied again for each door and for the stored turn)."""
    return {name: getattr(event, name) for name in _FIELDS[type(event)]}


_EVENT_TYPES: dict[str, type[Any]] = {
    "agent": AgentChosen,
    "delta": TextDelta,
    "tool_call": ToolCalled,
    "tool_result": ToolReturned,
    "status": Status,
    "done": Done,
    "error": Failed,
}


_FIELDS: dict[type[Any], tuple[str, ...]] = {
    kind: tuple(f.name for f in fields(kind)) for kind in _EVENT_TYPES.values()
}


def event_from_dict(data: dict[str, Any]) -> AgentEvent:
    """The event `event_dict` wrote (stored turn events are replayed through this)."""
    kind = _EVENT_TYPES.get(str(data.get("type")))
    if kind is None:
        return Status(f"unknown stored event {data.get('type')!r}")
    fields = {k: v for k, v in data.items() if k != "type"}
    try:
        return kind(**fields)  # type: ignore[no-any-return]
    except TypeError:
        return Status(f"unreadable stored {data.get('type')} event")
