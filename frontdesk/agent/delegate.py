"""`ask_frontdesk`: the whole agent as one tool, so an MCP client can delegate a question.

Tools may not import the agent, so the agent layer registers this tool into a registry it is given
(`register_ask_frontdesk`, called when the app's services start). A call runs one full turn through
`Agent.run_turn` as the calling principal — routing, the department's tools, the stored
conversation — and returns the final answer with the tools the agent used. Each call counts as one
chat turn of the caller against the same limiter as the REST chat routes (`chat:<user_id>`), so a
client cannot go around the chat rate limit by asking over MCP; over it, the call fails with
`RateLimited`, which the MCP face returns as an `isError` result.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from frontdesk.agent.events import AgentChosen, AgentEvent, Done, Failed, ToolCalled, ToolReturned
from frontdesk.agent.turn import Agent
from frontdesk.errors import ToolFailure
from frontdesk.ratelimit import RateLimiter, chat_key
from frontdesk.tools.base import ToolContext, ToolSpec
from frontdesk.tools.registry import ToolRegistry
from frontdesk.types import InboundMessage

TOOL_NAME = "ask_frontdesk"


def progress_note(event: AgentEvent) -> str | None:
    """A turn's step as a progress message: the department chosen, each tool called and back."""
    if isinstance(event, AgentChosen):
        return f"{event.department} is answering"
    if isinstance(event, ToolCalled):
        return f"calling {event.name}"
    if isinstance(event, ToolReturned):
        return f"{event.name} {'failed' if event.is_error else 'answered'}"
    return None


def register_ask_frontdesk(
    registry: ToolRegistry, agent: Agent, chat_limiter: RateLimiter | None = None
) -> ToolSpec:
    """Add `ask_frontdesk` (permission `chat`) to `registry`, answering through `agent`; each call
    is one hit of `chat_limiter` for the calling user."""

    async def ask_frontdesk(
        ctx: ToolContext,
        question: Annotated[
            str, Field(min_length=1, description="The question or request for frontdesk, in plain words.")
        ],
        conversation_id: Annotated[
            str | None,
            Field(description="Continue this conversation (from a previous answer); omit to start one."),
        ] = None,
    ) -> dict[str, Any]:
        """Ask frontdesk's own agent a whole question: it picks the department (sales, marketing,
        support, operations, data), uses that department's tools over your account's data, and
        returns its answer.

        The turn is stored as a conversation; pass its `conversation_id` to ask a follow-up.
        """
        if chat_limiter is not None:
            await chat_limiter.ahit(chat_key(ctx.principal.user_id))
        inbound = InboundMessage(
            ctx.principal, question, conversation_id=conversation_id, channel=ctx.principal.channel
        )
        calls: dict[str, dict[str, Any]] = {}
        steps = 0
        async for event in agent.run_turn(inbound):
            note = progress_note(event)
            if note is not None:  # an MCP client that sent a progressToken hears each step
                steps += 1
                await ctx.progress(steps, None, note)
            if isinstance(event, ToolCalled):
                calls[event.id] = {"tool": event.name, "arguments": event.arguments}
            elif isinstance(event, ToolReturned) and event.id in calls:
                calls[event.id]["is_error"] = event.is_error
            elif isinstance(event, Failed):
                raise ToolFailure(event.detail)
            elif isinstance(event, Done):
                return {
                    "answer": event.content,
                    "department": event.agent,
                    "conversation_id": event.conversation_id,
                    "message_id": event.message_id,
                    "tools_used": list(calls.values()),
                }
        raise ToolFailure("The agent stopped without an answer")

    ask_frontdesk.__name__ = TOOL_NAME
    return registry.add(ask_frontdesk, permission="chat", read_only=False)
