"""`agent_task`: a scheduled job that is a whole agent turn, asked as the job's owner on the
`scheduler` channel, in a new conversation of that channel. The reply is the job's result (the
scheduler puts it in the owner's notification); `agent.status` (processing) and `agent.completed`
are published for the account. With `deliver_to: "sms"` or `"teams"` the reply is also sent through
`deliver` (the SMS or Teams door, given by the api layer); a delivery that fails is noted in the
result, the turn stands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from frontdesk.agent.departments import load_departments
from frontdesk.agent.events import Done
from frontdesk.agent.turns import TurnRunner
from frontdesk.errors import FrontdeskError, ToolFailure
from frontdesk.storage.events import Event
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs.schedule import TaskFn
from frontdesk.types import InboundMessage

Deliver = Callable[[ToolContext, str, str], Awaitable[dict[str, Any]]]  # (ctx, door, text) -> receipt


def agent_task(turns: TurnRunner, deliver: Deliver | None = None) -> TaskFn:
    departments = set(load_departments())

    async def run(ctx: ToolContext, params: dict[str, Any]) -> dict[str, Any]:
        ctx.require("chat")
        principal = ctx.principal  # `agent` (a department) is the router's prior, as a user's department is
        if params.get("agent") in departments:
            principal = replace(principal, department=params["agent"])
        handle = await turns.submit(InboundMessage(principal, params["message"], channel="scheduler"))
        status = {"agentId": "scheduler", "status": "processing", "currentTask": params["message"][:200]}
        ctx.db.events.publish(
            Event(ctx.principal.account_id, "agent.status", status | {"turnId": handle.turn_id})
        )
        outcome = await turns.result(handle.turn_id)
        if not isinstance(outcome, Done):
            raise ToolFailure(f"The agent turn failed: {outcome.detail}")
        data = {
            "conversationId": outcome.conversation_id,
            "messageId": outcome.message_id,
            "agent": outcome.agent,
            "turnId": handle.turn_id,
        }
        ctx.db.events.publish(Event(ctx.principal.account_id, "agent.completed", data))
        result = {"summary": outcome.content, "turn_id": handle.turn_id} | {
            "conversation_id": outcome.conversation_id,
            "message_id": outcome.message_id,
            "agent": outcome.agent,
        }
        if door := params.get("deliver_to"):
            result["delivery"] = await _deliver(ctx, door, outcome.content)
        return result

    async def _deliver(ctx: ToolContext, door: str, text: str) -> dict[str, Any]:
        if deliver is None:
            return {"door": door, "error": "no door delivery in this process"}
        try:
            return {"door": door} | await deliver(ctx, door, text)
        except FrontdeskError as e:
            return {"door": door, "error": e.detail}

    return run
