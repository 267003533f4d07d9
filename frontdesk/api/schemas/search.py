"""`/api/v1/message-history/search/` (Services API shape)."""

from __future__ import annotations

from typing import Literal

from frontdesk.api.schemas.base import PageFields, Public, Timestamp


class MessageHit(Public):
    id: str
    conversation_id: str
    conversation_title: str | None
    user_id: str | None
    role: str
    channel: str
    content: str
    type: Literal["text"]
    created_at: Timestamp
    score: float


class SearchOut(PageFields):
    success: bool
    query: str
    scope: Literal["account", "own"]
    count: int
    data: list[MessageHit]
