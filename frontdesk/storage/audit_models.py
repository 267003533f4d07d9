"""The append-only audit log (migration `0011_teams`). Rows are inserted, never updated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Base


class AuditEntry(Base):
    """Who did what to which resource, from where. `account_id` and `user_id` are plain columns
    (no foreign keys), so an entry outlives the user or account it names."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_account_created", "account_id", "created_at"),
        Index("ix_audit_account_resource", "account_id", "resource_id"),
        Index("ix_audit_account_user", "account_id", "user_id", "created_at"),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    resource_type: Mapped[str] = mapped_column(String(32))
    resource_id: Mapped[str | None] = mapped_column(String(128))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    success: Mapped[bool] = mapped_column(Boolean, default=True)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
