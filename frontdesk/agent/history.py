"""Convert between stored messages and the model's `ChatMessage`s."""

from __future__ import annotations

import json
from typing import Any

from frontdesk.agent.model import ChatMessage, ToolCall
from frontdesk.agent.providers.base import parse_arguments
from frontdesk.storage.models import Message


def stored_tool_calls(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The seed's shape: {"id", "type": "function", "function": {"name", "arguments": json}}."""
    return [
        {
            "id": entry["id"],
            "type": "function",
            "function": {"name": entry["name"], "arguments": json.dumps(entry["arguments"], default=str)},
            "iteration": entry["iteration"],
        }
        for entry in log
    ]


def stored_tool_results(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "tool_call_id": entry["id"],
            "name": entry["name"],
            "is_error": entry["error"] is not None,
            "content": entry["error"] if entry["error"] is not None else entry["result"],
        }
        for entry in log
    ]


def _readable(call: Any) -> bool:
    """Whether a stored tool call has the shape turns store (`stored_tool_calls`). Rows written
    by other means (an import, an older loader) may not: their calls are left out of the model's
    history (the answer text stays) rather than failing the next turn of the conversation."""
    return (
        isinstance(call, dict)
        and isinstance(call.get("id"), str)
        and isinstance(call.get("function"), dict)
        and isinstance(call["function"].get("name"), str)
    )


def to_chat_messages(rows: list[Message]) -> list[ChatMessage]:
    """Rebuild the model's view: user, [assistant(tool calls), tool results]*, assistant(answer)."""
    out: list[ChatMessage] = []
    for row in rows:
        if row.role == "user":
            out.append(ChatMessage("user", row.content))
            continue
        if row.role != "assistant":
            continue
        calls = [c for c in row.tool_calls or [] if _readable(c)]
        results = {r.get("tool_call_id"): r for r in row.tool_results or [] if isinstance(r, dict)}
        for iteration in sorted({c.get("iteration", 0) for c in calls}):
            batch = [c for c in calls if c.get("iteration", 0) == iteration]
            out.append(
                ChatMessage(
                    "assistant",
                    "",
                    tool_calls=tuple(
                        ToolCall(
                            c["id"], c["function"]["name"], parse_arguments(c["function"].get("arguments"))
                        )
                        for c in batch
                    ),
                )
            )
            for c in batch:
                r = results.get(c["id"], {})
                content = r.get("content")
                text = (
                    content
                    if isinstance(content, str) and r.get("is_error")
                    else json.dumps(content, default=str)
                )
                out.append(
                    ChatMessage("tool", text, tool_call_id=c["id"], name=c["function"]["name"], data=None)
                )
        out.append(ChatMessage("assistant", row.content))
    return out
