"""Turns: one agent turn (a user message and the answer to it) as the server runs it.

A turn belongs to the server, not to the request that started it. Its row is written in the same
transaction as the user message, before any byte of the response; the events it streamed are
stored when it ends, so a finished turn can be replayed (`Last-Event-ID`) from any process.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Base

TURN_STATUSES = ("running", "completed", "failed", "cancelled", "interrupted")


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (
        Index("ix_turns_conversation", "conversation_id", "created_at"),
        Index("ix_turns_status", "status", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16), default="web")
    status: Mapped[str] = mapped_column(String(16), default="running")
    user_message_id: Mapped[str] = mapped_column(String(64), index=True)
    reply_message_id: Mapped[str | None] = mapped_column(String(64))
    error_code: Mapped[str | None] = mapped_column(String(32))
    error_detail: Mapped[str | None] = mapped_column(Text)
    events: Mapped[list[Any] | None] = mapped_column()
    runner: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
