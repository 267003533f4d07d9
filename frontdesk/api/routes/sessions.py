"""Mezzofy's chat shapes over the same store: `/chat/send`, `/chat/sessions`, `/chat/history`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from frontdesk.agent.events import Failed
from frontdesk.api.deps import ChatPrincipal, CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.chat import Cursor, conversation_page
from frontdesk.api.schemas.chat import Cleared, HistoryOut, SendOut, SessionList
from frontdesk.storage import conversations as store
from frontdesk.storage.ids import iso
from frontdesk.types import InboundMessage

router = APIRouter(prefix="/chat", tags=["chat"])
FAILED_STATUS = {"timeout": 504, "invalid": 400, "not_found": 404, "forbidden": 403, "cancelled": 409}


class SendIn(BaseModel):
    message: str = Field(min_length=1)
    session_id: str | None = Field(default=None, max_length=128)


@router.post("/send", response_model=SendOut, responses=errors(400, 401, 404, 409, 413, 422, 429, 502, 504))
async def send(body: SendIn, principal: ChatPrincipal, services: ServicesDep, response: Response) -> Any:
    """One full turn answered as JSON. Omit `session_id` to start a new conversation.

    The turn's id comes back as `turn_id` and in `X-Turn-Id`. The turn belongs to the server: a
    caller that gives up waiting can read the answer later with `GET /chat/turns/{turn_id}`.
    Turns sent at once to one session run one after another (see the SSE route)."""
    inbound = InboundMessage(principal, body.message, conversation_id=body.session_id, channel="web")
    turn = await services.turns.submit(inbound)
    outcome = await services.turns.result(turn.turn_id)
    headers = {"X-Turn-Id": turn.turn_id}
    if isinstance(outcome, Failed):
        return JSONResponse(
            {
                "detail": outcome.detail,
                "code": outcome.code,
                "session_id": turn.conversation_id,
                "turn_id": turn.turn_id,
            },
            status_code=FAILED_STATUS.get(outcome.code, 502),
            headers=headers,
        )
    response.headers.update(headers)
    return {
        "session_id": outcome.conversation_id,
        "turn_id": turn.turn_id,
        "message": outcome.content,
        "message_id": outcome.message_id,
        "agent_used": outcome.agent,
        "artifacts": [],
        "tokens_used": outcome.usage.get("total_tokens", 0),
        "input_summary": "",
    }


@router.get("/sessions", response_model=SessionList, responses=errors(400, 401, 422))
async def sessions(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The caller's chat sessions (conversations), most recent first; paged by offset (slow when
    deep) or by `cursor` (`next_cursor` of the previous page)."""
    page, next_cursor = await conversation_page(
        services, principal, limit=limit, offset=offset, cursor=cursor
    )
    rows, total = page.items, page.total
    return {
        "sessions": [
            {
                "id": c.id,
                "title": c.title,
                "department": c.department,
                "channel": c.channel,
                "created_at": iso(c.created_at),
                "updated_at": iso(c.updated_at),
                "message_count": n,
            }
            for c, n in rows
        ],
        "total": total,
        "has_more": next_cursor is not None,
        "next_cursor": next_cursor,
    }


@router.get("/history/{session_id}", response_model=HistoryOut, responses=errors(401, 404))
async def history(session_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Every message of the session, oldest first (up to 10,000)."""
    async with services.db.session() as s:
        conv = await store.get_conversation(s, principal, session_id)
        messages, _ = await store.list_messages(s, conv.id, limit=10_000, offset=0)
    return {
        "session_id": conv.id,
        "messages": [
            {
                "role": m.role,
                "content": m.content,
                "agent_used": m.agent_used,
                "channel": m.channel,
                "tool_calls": m.tool_calls or [],
                "tokens_used": m.tokens_in + m.tokens_out,
                "created_at": iso(m.created_at),
            }
            for m in messages
        ],
    }


@router.delete("/session/{session_id}", response_model=Cleared, responses=errors(401, 404))
async def clear_session(
    session_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Clear the session's messages; the session itself is kept (a running turn is cancelled)."""
    async with services.db.session() as s:
        conv = await store.get_conversation(s, principal, session_id)
    await services.turns.cancel_conversation(conv.id)
    await services.db.run_write(lambda s: store.clear_messages(s, principal, session_id))
    return {"session_id": session_id, "cleared": True}
