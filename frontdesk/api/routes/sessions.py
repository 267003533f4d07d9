"""Mezzofy's chat shapes over the same store: `/chat/send`, `/chat/sessions`, `/chat/history`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from frontdesk.agent.events import Done, Failed
from frontdesk.api.deps import CurrentPrincipal, ServicesDep, chat_rate_limit
from frontdesk.storage import conversations as store
from frontdesk.storage.ids import iso
from frontdesk.types import InboundMessage

router = APIRouter(prefix="/chat", tags=["chat"])
_FAILED_STATUS = {"timeout": 504, "invalid": 400, "not_found": 404, "forbidden": 403}


class SendIn(BaseModel):
    message: str = Field(min_length=1)
    session_id: str | None = Field(default=None, max_length=128)


@router.post("/send", dependencies=[Depends(chat_rate_limit)])
async def send(body: SendIn, principal: CurrentPrincipal, services: ServicesDep) -> Any:
    """One full turn answered as JSON. Omit `session_id` to start a new conversation."""
    inbound = InboundMessage(principal, body.message, conversation_id=body.session_id, channel="web")
    conv = await services.agent.start_turn(inbound)
    done: Done | None = None
    failed: Failed | None = None
    async for event in services.agent.run_turn(inbound, conv):
        if isinstance(event, Done):
            done = event
        elif isinstance(event, Failed):
            failed = event
    if done is None:
        detail = failed.detail if failed else "The agent produced no answer"
        code = failed.code if failed else "agent_error"
        return JSONResponse(
            {"detail": detail, "code": code, "session_id": conv.id}, status_code=_FAILED_STATUS.get(code, 502)
        )
    return {
        "session_id": done.conversation_id,
        "message": done.content,
        "message_id": done.message_id,
        "agent_used": done.agent,
        "artifacts": [],
        "tokens_used": done.usage.get("total_tokens", 0),
        "input_summary": "",
    }


@router.get("/sessions")
async def sessions(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    async with services.db.session() as s:
        rows, total = await store.list_conversations(s, principal, limit=limit, offset=offset)
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
        "has_more": offset + len(rows) < total,
    }


@router.get("/history/{session_id}")
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
                "tool_calls": m.tool_calls or [],
                "tokens_used": m.tokens_in + m.tokens_out,
                "created_at": iso(m.created_at),
            }
            for m in messages
        ],
    }


@router.delete("/session/{session_id}")
async def clear_session(
    session_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Clear the session's messages; the session itself is kept."""
    async with services.db.session() as s:
        await store.clear_messages(s, principal, session_id)
    return {"session_id": session_id, "cleared": True}
