"""Account-level AI agents (CRM MVP `/api/agents`): a named agent of one account, layered over a
built-in department (`type`) with its own system prompt, capabilities and model (migration
`0015_agents`). Its id is short (`agent_<12 hex>`) because it is also the department name the
turn stores in `messages.agent_used`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Base


class AccountAgent(Base):
    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("account_id", "name"),)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(32))  # a built-in department: sales, support, ...
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | inactive
    capabilities: Mapped[list[Any]] = mapped_column(default=list)
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(String(200))
    temperature: Mapped[float | None] = mapped_column(Float)
    max_tokens: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
