"""The tables behind durable approvals (migration `0021_checkpoints`): LangGraph checkpoints and
pending writes of the approval graph (`storage.checkpoints.StoreSaver`), and which conversation
waits for a yes on which thread (`ApprovalWait`).

A checkpoint row holds the whole serialized checkpoint (channel values included) as one blob:
only the latest checkpoint of a thread is kept, so there are no shared per-version blobs to split
out. Blobs are LangGraph's typed serialization (`serde.dumps_typed`): a type tag and bytes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Base


class GraphCheckpoint(Base):
    __tablename__ = "graph_checkpoints"
    thread_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    checkpoint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    parent_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))
    checkpoint: Mapped[bytes] = mapped_column(LargeBinary)
    meta_type: Mapped[str] = mapped_column(String(32))
    meta: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class GraphWrite(Base):
    """A pending write of a task against a checkpoint (an interrupt, a resume value, a node's output)."""

    __tablename__ = "graph_checkpoint_writes"
    thread_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    checkpoint_ns: Mapped[str] = mapped_column(String(200), primary_key=True, default="")
    checkpoint_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32))
    value: Mapped[bytes] = mapped_column(LargeBinary)
    task_path: Mapped[str] = mapped_column(String(500), default="")


class ApprovalWait(Base):
    """A conversation whose last turn asked for a yes: the next message resumes `thread_id`."""

    __tablename__ = "approval_waits"
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    thread_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
