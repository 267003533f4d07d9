"""The OpenAI chat.completions wire format, shared by the Groq and LiteLLM adapters.

Requests: `messages` with `tool_calls` on assistant turns and `role: tool` results, `tools` as
`{"type": "function", "function": {...}}`, images as `image_url` data URLs. Responses: streamed
`chat.completion.chunk`s whose `delta.tool_calls[i]` arrive in fragments keyed by `index`
(the id and name first, then pieces of the JSON arguments); usage rides on the last chunk.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

from frontdesk.agent.model import (
    ChatMessage,
    ModelChunk,
    TextChunk,
    ToolCall,
    ToolCallChunk,
    ToolSchema,
    UsageChunk,
    estimate_tokens,
)
from frontdesk.agent.providers.base import parse_arguments, tool_result_text


def prompt_estimate(messages: list[ChatMessage]) -> int:
    return sum(estimate_tokens(m.content) for m in messages)


def _user_content(msg: ChatMessage) -> str | list[dict[str, Any]]:
    if not msg.images:
        return msg.content
    parts: list[dict[str, Any]] = [{"type": "text", "text": msg.content}] if msg.content else []
    for img in msg.images:
        url = f"data:{img.media_type};base64,{base64.b64encode(img.data).decode('ascii')}"
        parts.append({"type": "image_url", "image_url": {"url": url}})
    return parts


def to_openai_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            out.append({"role": "system", "content": msg.content})
        elif msg.role == "user":
            out.append({"role": "user", "content": _user_content(msg)})
        elif msg.role == "tool":
            out.append({"role": "tool", "tool_call_id": msg.tool_call_id, "content": tool_result_text(msg)})
        elif msg.tool_calls:
            out.append(
                {
                    "role": "assistant",
                    "content": msg.content or None,
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {"name": c.name, "arguments": json.dumps(c.arguments, default=str)},
                        }
                        for c in msg.tool_calls
                    ],
                }
            )
        elif msg.content:
            out.append({"role": "assistant", "content": msg.content})
    return out


def to_openai_tools(tools: list[ToolSchema]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": t.name,
                "description": t.description,
                "parameters": t.parameters or {"type": "object", "properties": {}},
            },
        }
        for t in tools
    ]


class _ToolCallParts:
    """Collects the fragments of streamed tool calls by their `index`."""

    def __init__(self) -> None:
        self._calls: dict[int, dict[str, Any]] = {}

    def add(self, fragment: Any) -> None:
        index = getattr(fragment, "index", None)
        index = len(self._calls) if index is None else index
        call = self._calls.setdefault(index, {"id": None, "name": "", "arguments": []})
        if getattr(fragment, "id", None):
            call["id"] = fragment.id
        function = getattr(fragment, "function", None)
        if function is not None:
            if getattr(function, "name", None):
                call["name"] = function.name
            if getattr(function, "arguments", None):
                call["arguments"].append(function.arguments)

    def calls(self) -> list[ToolCall]:
        return [
            ToolCall(c["id"] or f"call_{i}", c["name"], parse_arguments("".join(c["arguments"])))
            for i, c in sorted(self._calls.items())
            if c["name"]
        ]


def _usage_of(chunk: Any) -> Any:
    usage = getattr(chunk, "usage", None)
    if usage is None:  # Groq reports usage in its `x_groq` extension
        usage = getattr(getattr(chunk, "x_groq", None), "usage", None)
    return usage


async def openai_chunks(stream: AsyncIterator[Any], prompt_estimate: int) -> AsyncIterator[ModelChunk]:
    """`chat.completion.chunk`s -> text, then the finished tool calls, then usage (estimated from
    `prompt_estimate` and the output when the server reports none)."""
    parts = _ToolCallParts()
    usage = None
    written: list[str] = []
    async for chunk in stream:
        usage = _usage_of(chunk) or usage
        for choice in getattr(chunk, "choices", None) or []:
            delta = getattr(choice, "delta", None)
            if delta is None:
                continue
            if getattr(delta, "content", None):
                written.append(delta.content)
                yield TextChunk(delta.content)
            for fragment in getattr(delta, "tool_calls", None) or []:
                parts.add(fragment)
    for call in parts.calls():
        written.append(json.dumps(call.arguments))
        yield ToolCallChunk(call)
    if usage is not None:
        yield UsageChunk(int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))
    else:
        yield UsageChunk(prompt_estimate, estimate_tokens("".join(written)))
