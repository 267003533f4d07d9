"""ORM models of helpers (configured automations), their executions, and what helpers leave behind:
notifications recorded by `notify` helpers and record owners set by `assign_owner` helpers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Base

EXECUTION_STATUSES = ("queued", "running", "completed", "failed")


class Helper(Base):
    """A configured helper of an account: a helper type plus a config valid against its schema.
    Deleting is soft (`status="deleted"`, `enabled=False`) so executions keep their helper."""

    __tablename__ = "helpers"
    __table_args__ = (Index("ix_helpers_account_status", "account_id", "status", "created_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    helper_type: Mapped[str] = mapped_column(String(64))
    category: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    enabled: Mapped[bool] = mapped_column(default=True)
    connection_id: Mapped[str | None] = mapped_column(ForeignKey("connections.id", ondelete="SET NULL"))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    execution_count: Mapped[int] = mapped_column(Integer, default=0)
    last_executed_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Execution(Base):
    """One run of a helper: queued -> running -> completed | failed."""

    __tablename__ = "executions"
    __table_args__ = (
        Index("ix_executions_account_created", "account_id", "created_at", "id"),
        Index("ix_executions_status_created", "status", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    helper_id: Mapped[str] = mapped_column(ForeignKey("helpers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    connection_id: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    trigger_type: Mapped[str] = mapped_column(String(16), default="manual")
    input: Mapped[dict[str, Any]] = mapped_column(default=dict)
    output: Mapped[dict[str, Any] | None] = mapped_column()
    error_message: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()


class HelperNotification(Base):
    """A notification recorded for a user by a `notify` helper (read in the app, not sent out)."""

    __tablename__ = "helper_notifications"
    __table_args__ = (Index("ix_helper_notifications_user", "account_id", "user_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    helper_id: Mapped[str | None] = mapped_column(ForeignKey("helpers.id", ondelete="SET NULL"))
    execution_id: Mapped[str | None] = mapped_column(ForeignKey("executions.id", ondelete="SET NULL"))
    contact_id: Mapped[str | None] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), default="info")
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()


class RecordOwner(Base):
    """The user who owns a CRM record (a contact or a lead), as set by an `assign_owner` helper."""

    __tablename__ = "record_owners"
    __table_args__ = (Index("ix_record_owners_owner", "account_id", "owner_user_id"),)
    record_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    record_type: Mapped[str] = mapped_column(String(16))
    owner_user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    helper_id: Mapped[str | None] = mapped_column(ForeignKey("helpers.id", ondelete="SET NULL"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
