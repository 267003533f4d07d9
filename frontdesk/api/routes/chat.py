"""`/chat/conversations` (MyFusion chat service): conversations, history, and streamed turns."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentPrincipal, ServicesDep, chat_rate_limit
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.chat import (
    SSE_RESPONSE,
    ConversationDetail,
    ConversationList,
    ConversationPublic,
    Deleted,
    MessageList,
)
from frontdesk.channels.web import SSE_HEADERS, sse_stream
from frontdesk.errors import Invalid
from frontdesk.paging import Page, cursor_scope, page_fields
from frontdesk.storage import conversations as store
from frontdesk.storage.ids import iso
from frontdesk.storage.models import Conversation, Message
from frontdesk.types import InboundMessage, Principal

router = APIRouter(prefix="/chat", tags=["chat"])
MAX_PAGE = 500


class ConversationCreate(BaseModel):
    title: str | None = Field(default=None, max_length=200)


class ConversationRename(BaseModel):
    title: str = Field(min_length=1, max_length=store.MAX_TITLE_CHARS)


class MessageCreate(BaseModel):
    content: str = Field(min_length=1, description="The user's message (limit: FRONTDESK_MAX_MESSAGE_CHARS).")
    connection_id: str | None = Field(default=None, max_length=128)


def conversation_public(conv: Conversation, message_count: int | None = None) -> dict[str, Any]:
    body = {
        "conversation_id": conv.id,
        "account_id": conv.account_id,
        "title": conv.title,
        "channel": conv.channel,
        "department": conv.department,
        "created_at": iso(conv.created_at),
        "updated_at": iso(conv.updated_at),
    }
    if message_count is not None:
        body["message_count"] = message_count
    return body


def message_public(m: Message) -> dict[str, Any]:
    return {
        "message_id": m.id,
        "role": m.role,
        "content": m.content,
        "sequence": m.seq,
        "channel": m.channel,
        "agent_used": m.agent_used,
        "tool_calls": m.tool_calls or [],
        "tool_results": m.tool_results or [],
        "tokens_used": {"input": m.tokens_in, "output": m.tokens_out},
        "created_at": iso(m.created_at),
    }


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
Cursor = Annotated[
    str | None,
    Query(max_length=2000, description="`next_cursor` of the previous page (use instead of a deep offset)."),
]
ChannelFilter = Annotated[
    Literal["web", "sms", "teams", "voice", "mcp", "cli", "scheduler"] | None,
    Query(description="Only conversations started on this door."),
]


@router.post(
    "/conversations",
    status_code=status.HTTP_201_CREATED,
    response_model=ConversationPublic,
    responses=errors(401, 413, 422),
)
async def create_conversation(
    principal: CurrentPrincipal, services: ServicesDep, body: ConversationCreate | None = None
) -> dict[str, Any]:
    """Start an empty conversation (optionally titled); send messages to it with
    `POST /chat/conversations/{conversation_id}/messages`."""
    title = body.title if body else None
    conv = await services.db.run_write(lambda s: store.create_conversation(s, principal, title=title))
    return conversation_public(conv, 0)


async def conversation_page(
    services: ServicesDep,
    principal: Principal,
    *,
    limit: int,
    offset: int,
    cursor: str | None,
    channel: str | None = None,
) -> tuple[Page[tuple[Conversation, int]], str | None]:
    """A page of the caller's conversations and the cursor of the next one (both list routes).
    A cursor is bound to its owner and channel filter; another's is a 400, never their rows."""
    if cursor and offset:
        raise Invalid("Give either a cursor or an offset, not both")
    scope = cursor_scope("conversations", principal.account_id, principal.user_id, channel)
    async with services.db.session() as s:
        page = await store.conversations_page(
            s, principal, limit=limit, offset=offset, channel=channel, cursor=cursor, scope=scope
        )
    return page, page.next_cursor


@router.get("/conversations", response_model=ConversationList, responses=errors(400, 401, 422))
async def list_conversations(
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Limit = 50,
    offset: Offset = 0,
    channel: ChannelFilter = None,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The caller's conversations from every door (web, SMS, Teams, voice, MCP), most recently
    active first; filter by channel; paged by offset (slow when deep) or by `cursor`
    (`next_cursor` of the previous page, same filter)."""
    page, next_cursor = await conversation_page(
        services, principal, limit=limit, offset=offset, cursor=cursor, channel=channel
    )
    return {
        "conversations": [conversation_public(c, n) for c, n in page.items],
        **page_fields(page.total, limit, offset, len(page.items), has_more=next_cursor is not None),
        "next_cursor": next_cursor,
    }


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail, responses=errors(401, 404))
async def get_conversation(
    conversation_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """The conversation with its first 500 messages (`has_more` tells if there are more)."""
    async with services.db.session() as s:
        conv = await store.get_conversation(s, principal, conversation_id)
        messages, total = await store.list_messages(s, conv.id, limit=MAX_PAGE, offset=0)
    return conversation_public(conv, total) | {
        "messages": [message_public(m) for m in messages],
        "has_more": total > len(messages),
    }


@router.patch(
    "/conversations/{conversation_id}",
    response_model=ConversationPublic,
    responses=errors(400, 401, 404, 422),
)
async def rename_conversation(
    conversation_id: str, body: ConversationRename, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Rename the conversation (whitespace is collapsed; a blank title is 400). Its place in the
    newest-first list does not change."""
    conv = await services.db.run_write(
        lambda s: store.rename_conversation(s, principal, conversation_id, body.title)
    )
    return conversation_public(conv)


@router.delete("/conversations/{conversation_id}", response_model=Deleted, responses=errors(401, 404))
async def delete_conversation(
    conversation_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Delete the conversation and its messages; a turn still running in it is cancelled first."""
    async with services.db.session() as s:
        conv = await store.get_conversation(s, principal, conversation_id)
    await services.turns.cancel_conversation(conv.id)
    await services.db.run_write(lambda s: store.delete_conversation(s, principal, conversation_id))
    return {"success": True, "message": "Conversation deleted"}


@router.get(
    "/conversations/{conversation_id}/messages", response_model=MessageList, responses=errors(401, 404, 422)
)
async def list_messages(
    conversation_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The messages of one of the caller's conversations, oldest first, with tool calls and results;
    paged."""
    async with services.db.session() as s:
        conv = await store.get_conversation(s, principal, conversation_id)
        messages, total = await store.list_messages(s, conv.id, limit=limit, offset=offset)
    return {
        "messages": [message_public(m) for m in messages],
        **page_fields(total, limit, offset, len(messages)),
    }


@router.post(
    "/conversations/{conversation_id}/messages",
    dependencies=[Depends(chat_rate_limit)],
    response_class=StreamingResponse,
    responses=SSE_RESPONSE | errors(400, 401, 404, 409, 413, 422, 429),
)
async def post_message(
    conversation_id: str, body: MessageCreate, principal: CurrentPrincipal, services: ServicesDep
) -> StreamingResponse:
    """Run one agent turn and stream it as SSE (`event: message`, `data.type` content / agent /
    tool_call / tool_result / done / error; ids `<turn_id>-<n>`).

    The user message is stored before the response starts; the turn's id is in `X-Turn-Id`. The
    turn belongs to the server: if the connection drops, it still runs to its end and stores its
    answer; resume with `GET /chat/turns/{turn_id}/stream` and `Last-Event-ID`, cancel with
    `DELETE /chat/turns/{turn_id}`. A second turn sent to a conversation while one runs waits for
    it (at most `FRONTDESK_TURN_QUEUE_PER_CONVERSATION` wait; more are 409). Errors found before the
    turn starts are plain 4xx."""
    inbound = InboundMessage(principal, body.content, conversation_id=conversation_id, channel="web")
    turn = await services.turns.submit(inbound)
    stream = sse_stream(services.turns.follow(turn.turn_id), turn.turn_id, services.settings.sse_ping_seconds)
    headers = SSE_HEADERS | {"X-Turn-Id": turn.turn_id}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)
