"""Chat: conversations, messages, turns (MyFusion shapes) and Mezzofy's send/sessions/history."""

from __future__ import annotations

from typing import Any, Literal

from frontdesk.api.schemas.base import PageFields, Public, Timestamp

TurnStatus = Literal["running", "completed", "failed", "cancelled", "interrupted"]

SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `event: message` frames whose JSON `data.type` is agent, "
        "content, tool_call, tool_result, status, done or error; each with `id: <turn_id>-<n>`; "
        "`: ping` comments keep the connection open. Header `X-Turn-Id` names the turn.",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
        "headers": {"X-Turn-Id": {"schema": {"type": "string"}, "description": "The turn's id."}},
    }
}


class ConversationPublic(Public):
    conversation_id: str
    account_id: str
    title: str | None
    channel: str
    department: str | None
    created_at: Timestamp | None
    updated_at: Timestamp | None
    message_count: int | None = None


class ConversationList(PageFields):
    conversations: list[ConversationPublic]
    next_cursor: str | None = None  # pass as `cursor` for the next page; null on the last page


class TokensUsed(Public):
    input: int
    output: int


class MessagePublic(Public):
    message_id: str
    role: str
    content: str
    sequence: int
    channel: str
    agent_used: str | None
    tool_calls: list[dict[str, Any]]
    tool_results: list[dict[str, Any]]
    tokens_used: TokensUsed
    created_at: Timestamp | None


class MessageList(PageFields):
    messages: list[MessagePublic]


class ConversationDetail(ConversationPublic):
    messages: list[MessagePublic]
    has_more: bool


class Deleted(Public):
    success: bool
    message: str


class TurnPublic(Public):
    """A turn: running, or how it ended (the answer, or the error)."""

    turn_id: str
    conversation_id: str
    status: TurnStatus
    channel: str
    user_message_id: str
    message_id: str | None
    content: str | None
    agent_used: str | None
    tokens_used: int | None
    error: dict[str, str] | None
    events: int
    created_at: Timestamp | None
    finished_at: Timestamp | None


class SendOut(Public):
    session_id: str
    turn_id: str
    message: str
    message_id: str
    agent_used: str
    artifacts: list[Any]
    tokens_used: int
    input_summary: str


class SessionPublic(Public):
    id: str
    title: str | None
    department: str | None
    channel: str
    created_at: Timestamp | None
    updated_at: Timestamp | None
    message_count: int


class SessionList(Public):
    sessions: list[SessionPublic]
    total: int
    has_more: bool
    next_cursor: str | None = None  # pass as `cursor` for the next page; null on the last page


class HistoryMessage(Public):
    role: str
    content: str
    agent_used: str | None
    channel: str
    tool_calls: list[dict[str, Any]]
    tokens_used: int
    created_at: Timestamp | None


class HistoryOut(Public):
    session_id: str
    messages: list[HistoryMessage]


class Cleared(Public):
    session_id: str
    cleared: bool
