"""ORM models of the messaging doors (SMS, Teams) and the lead inbox (migration `0009_channels`).

- `ChannelThread`: a door thread (a phone number, a Teams conversation) -> one stored conversation
  of one user in one account.
- `PhoneLink`: the phone number a user linked (`PUT /auth/profile`), unique per account.
- `SmsOptOut`: numbers that texted STOP; nothing is sent to them until they text START.
- `SmsInbox`: an account's lead inbox on one of the server's Twilio numbers.
- `LeadThread` / `LeadMessage`: the lead-facing conversations of the CRM MVP messages API.
- `ChannelEvent`: recorded events (`message.received`) for whoever fans events out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Base


class ChannelThread(Base):
    __tablename__ = "channel_threads"
    __table_args__ = (UniqueConstraint("channel", "thread_key", "account_id", "user_id"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    thread_key: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamsReference(Base):
    """Where the bot can write to a user first: their latest personal (1:1) chat with the bot (0017)."""

    __tablename__ = "teams_references"
    __table_args__ = (UniqueConstraint("account_id", "user_id", name="uq_teams_reference_user"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    service_url: Mapped[str] = mapped_column(String(512))
    conversation_id: Mapped[str] = mapped_column(String(255))
    bot_id: Mapped[str] = mapped_column(String(255))
    bot_name: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PhoneLink(Base):
    __tablename__ = "phone_links"
    __table_args__ = (UniqueConstraint("account_id", "phone_number"),)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    phone_number: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsOptOut(Base):
    __tablename__ = "sms_opt_outs"
    phone_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsInbox(Base):
    __tablename__ = "sms_inboxes"
    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LeadThread(Base):
    __tablename__ = "lead_threads"
    __table_args__ = (Index("ix_lead_threads_account", "account_id", "updated_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), unique=True)
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LeadMessage(Base):
    __tablename__ = "lead_messages"
    __table_args__ = (
        UniqueConstraint("thread_id", "external_id"),
        Index("ix_lead_messages_thread", "thread_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    thread_id: Mapped[str] = mapped_column(ForeignKey("lead_threads.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    lead_id: Mapped[str] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # lead | agent
    content: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    status: Mapped[str] = mapped_column(String(16), default="delivered")
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()


class ChannelEvent(Base):
    __tablename__ = "channel_events"
    __table_args__ = (Index("ix_channel_events_account", "account_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
