"""The lake's catalog: one row per (connection, object type) Parquet file in `<data_dir>/lake/`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Base


class LakeObject(Base):
    """What one Parquet file holds: its record count, its fields with types, when it was written."""

    __tablename__ = "lake_objects"
    __table_args__ = (
        UniqueConstraint("connection_id", "object_type"),
        Index("ix_lake_objects_account", "account_id", "connection_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))  # relative to the lake root
    record_count: Mapped[int] = mapped_column(BigInteger, default=0)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    fields: Mapped[list[Any]] = mapped_column(default=list)  # [{"name": ..., "type": ...}]
    last_synced: Mapped[datetime] = mapped_column(default=utcnow)
