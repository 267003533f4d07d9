"""`OfflineModel`: the default `ChatModel`. Plans a tool call from the last user message, and
answers from the tool results that follow it. Deterministic; no network."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
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
from frontdesk.agent.offline.planner import CAPABILITIES, Plan, plan
from frontdesk.agent.offline.writer import write_answer


def _today() -> date:
    return datetime.now(UTC).date()


def _result_data(msg: ChatMessage) -> tuple[Any, str | None]:
    """(data, error) of a tool message; errors are sent as content starting with 'Error:'."""
    if msg.content.startswith("Error:"):
        return None, msg.content.removeprefix("Error:").strip()
    if msg.data is not None:
        return msg.data, None
    try:
        return json.loads(msg.content), None
    except ValueError:
        return msg.content, None


class OfflineModel:
    name = "offline"

    def __init__(self, today: Callable[[], date] = _today) -> None:
        self._today = today

    def respond(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> ToolCall | str:
        """The next step of this turn: a tool call, or the final answer text."""
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
        if last_user is None:
            return "What would you like to know? " + CAPABILITIES
        p = plan(messages[last_user].content, self._today())
        results = [m for m in messages[last_user + 1 :] if m.role == "tool"]
        available = {t.name for t in tools}
        if p.tool is None:
            return p.clarify or CAPABILITIES
        if p.tool not in available:
            return f"That needs the {p.tool} tool, which is not available to you here. " + CAPABILITIES
        if not results:
            return ToolCall(id=f"call_{len(messages)}_{p.tool}", name=p.tool, arguments=p.arguments)
        last = results[-1]
        data, error = _result_data(last)
        if (
            error is None
            and last.name == "get_contacts"
            and p.then_detail
            and isinstance(data, dict)
            and data.get("total") == 1
            and "get_contact_detail" in available
        ):
            return ToolCall(
                id=f"call_{len(messages)}_get_contact_detail",
                name="get_contact_detail",
                arguments={"contact_id": data["contacts"][0]["id"]},
            )
        return write_answer(Plan(last.name, p.arguments, p.intent, p.label), last.name or "", data, error)

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        step = self.respond(messages, tools)
        prompt_tokens = sum(estimate_tokens(m.content) for m in messages)
        if isinstance(step, ToolCall):
            yield ToolCallChunk(step)
            yield UsageChunk(prompt_tokens, estimate_tokens(json.dumps(step.arguments)) + 5)
            return
        words = step.split(" ")
        for i, word in enumerate(words):
            yield TextChunk(word if i == len(words) - 1 else word + " ")
        yield UsageChunk(prompt_tokens, estimate_tokens(step))
