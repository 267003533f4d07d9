"""`/chat/turns/{turn_id}`: read a turn's answer, resume its stream, or cancel it.

Every turn (SSE, `/chat/send`, MCP `ask_frontdesk`, the other doors) is owned by the server and
has an id. A client that lost its connection comes back here: the JSON answer (optionally
waiting for it), or the event stream from after its `Last-Event-ID`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse

from frontdesk.agent.events import Done, Failed
from frontdesk.agent.turn_log import outcome_of
from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.chat import SSE_RESPONSE, TurnPublic
from frontdesk.channels.web import SSE_HEADERS, position_after, sse_stream
from frontdesk.errors import Conflict
from frontdesk.storage.ids import iso
from frontdesk.storage.turn_models import Turn

router = APIRouter(prefix="/chat/turns", tags=["chat"])
MAX_WAIT_SECONDS = 60


def turn_public(row: Turn, outcome: Done | Failed | None, events: int, status: str) -> dict[str, Any]:
    done = outcome if isinstance(outcome, Done) else None
    failed = outcome if isinstance(outcome, Failed) else None
    return {
        "turn_id": row.id,
        "conversation_id": row.conversation_id,
        "status": status,
        "channel": row.channel,
        "user_message_id": row.user_message_id,
        "message_id": done.message_id if done else None,
        "content": done.content if done else None,
        "agent_used": done.agent if done else None,
        "tokens_used": done.usage.get("total_tokens", 0) if done else None,
        "error": {"code": failed.code, "detail": failed.detail} if failed else None,
        "events": events,
        "created_at": iso(row.created_at),
        "finished_at": iso(row.finished_at),
    }


@router.get("/{turn_id}", response_model=TurnPublic, responses=errors(401, 404, 422))
async def get_turn(
    turn_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    wait: Annotated[
        float, Query(ge=0, le=MAX_WAIT_SECONDS, description="Seconds to wait for a running turn to end.")
    ] = 0,
) -> dict[str, Any]:
    """The turn: `running`, or how it ended with its answer (`content`) or `error`."""
    await services.turns.lookup(principal, turn_id)
    if wait > 0:
        try:
            await services.turns.result(turn_id, timeout=wait)
        except TimeoutError:
            pass
    row = await services.turns.lookup(principal, turn_id)
    live = services.turns.live(turn_id)
    if live is not None:
        status = live.status if live.finished else "running"
        return turn_public(row, live.outcome, len(live.events), status)
    return turn_public(row, outcome_of(row.events), len(row.events or []), row.status)


@router.get(
    "/{turn_id}/stream",
    response_class=StreamingResponse,
    responses=SSE_RESPONSE | errors(400, 401, 404),
)
async def stream_turn(
    turn_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    last_event_id: Annotated[str | None, Header(max_length=200)] = None,
) -> StreamingResponse:
    """The turn's events after `Last-Event-ID` (all of them without it): replayed, then live
    until `done` or `error`. A finished turn replays from its stored events."""
    await services.turns.lookup(principal, turn_id)
    after = position_after(last_event_id, turn_id)
    stream = sse_stream(services.turns.follow(turn_id, after), turn_id, services.settings.sse_ping_seconds)
    return StreamingResponse(
        stream, media_type="text/event-stream", headers=SSE_HEADERS | {"X-Turn-Id": turn_id}
    )


@router.delete("/{turn_id}", response_model=TurnPublic, responses=errors(401, 404, 409))
async def cancel_turn(turn_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Cancel a running turn (its user message stays; no answer is stored). A finished turn is 409.
    With replicas (`FRONTDESK_REDIS_URL`) a turn running on another replica is cancelled there and
    the answer is the same once it ended; 409 `turn_elsewhere` only when no replica confirms it."""
    try:
        await services.turns.cancel(principal, turn_id)
    except Conflict as e:
        if e.code != "turn_elsewhere" or services.scale is None:
            raise
        await services.scale.cancel_elsewhere(services.turns, principal, turn_id)
    return await get_turn(turn_id, principal, services)
