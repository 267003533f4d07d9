"""`StoreSaver`: a LangGraph checkpointer whose pending approvals live in the frontdesk SQL store
(SQLite or PostgreSQL), and the conversations waiting for a yes (`agent.approval`).

A run in progress checkpoints into this process's memory (`live`, an `InMemorySaver`): most runs
end without a question, and nothing of theirs needs to outlive them. Only when a run stops at an
approval question does `persist` store what resuming needs: the thread's *latest* checkpoint
(channel values included, one blob) and the pending writes against it (the interrupt, the other
nodes' outputs of that step). A resumed run reads that from the store (`aget_tuple` loads it
into `live`), so any process on the same database can answer the question.

Retention: the store holds one checkpoint per waiting conversation. A thread's stored rows are
deleted when its resumed turn ends without a new question (`adelete_thread`) or when the
question is asked again (`persist` replaces them); a waiting thread lives until the
conversation's next message (or the approval setting is switched off, or the conversation is
deleted: its `approval_waits` row cascades). Stored threads no conversation waits on (a resumed
turn that crashed half way) are swept after `ORPHAN_AFTER` (`purge_orphans`); live threads of
runs that failed are dropped from memory after the same time (`forget_stale`).

Async only: the approval graph is only ever run with `astream`. The synchronous methods are the
base class's, which refuse to run; a synchronous caller gets that error, not a silent no-op.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    SerializerProtocol,
    get_checkpoint_id,
)
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.checkpoint_models import ApprovalWait, GraphCheckpoint, GraphWrite
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow

ORPHAN_AFTER = timedelta(hours=1)  # longer than any turn may run (`turn_timeout_seconds`)


class StoreSaver(BaseCheckpointSaver[str]):
    """Live checkpoints in memory; pending approvals in `graph_checkpoints` /
    `graph_checkpoint_writes`."""

    def __init__(self, db: Database, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self.db = db
        self.live = InMemorySaver(serde=self.serde)
        self._started: dict[str, float] = {}  # live thread -> monotonic time of its first write
        self._loaded: set[str] = set()  # threads this process read from the store (to delete there)

    def start(self, thread_id: str) -> None:
        """A new thread: its checkpoints are live in this process only (none in the store)."""
        self._started[thread_id] = time.monotonic()

    # -- reads: this process's live runs first, then the store
    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """A live thread's checkpoint; else the stored one, which then becomes live here (so the
        resumed run's checkpoints keep the channels it does not change)."""
        thread_id = str(config["configurable"]["thread_id"])
        if thread_id not in self._started and not await self._load(config):
            return None
        return self.live.get_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """The live checkpoints (of `config`'s thread, loaded from the store if needed)."""
        if config is not None and str(config["configurable"]["thread_id"]) not in self._started:
            await self._load(config)
        for item in self.live.list(config, filter=filter, before=before, limit=limit):
            yield item

    async def _load(self, config: RunnableConfig) -> bool:
        """Copy the stored checkpoint of `config`'s thread, with its pending writes, into `live`."""
        conf = config["configurable"]
        thread_id, ns = str(conf["thread_id"]), str(conf.get("checkpoint_ns", ""))
        query = select(GraphCheckpoint).where(
            GraphCheckpoint.thread_id == thread_id, GraphCheckpoint.checkpoint_ns == ns
        )
        if checkpoint_id := get_checkpoint_id(config):
            query = query.where(GraphCheckpoint.checkpoint_id == checkpoint_id)
        async with self.db.session() as s:
            row = await s.scalar(query.order_by(GraphCheckpoint.checkpoint_id.desc()).limit(1))
            if row is None:
                return False
            writes = list(
                await s.scalars(
                    select(GraphWrite).where(
                        GraphWrite.thread_id == thread_id,
                        GraphWrite.checkpoint_ns == ns,
                        GraphWrite.checkpoint_id == row.checkpoint_id,
                    )
                )
            )
        checkpoint: Checkpoint = self.serde.loads_typed((row.type, row.checkpoint))
        parent = {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": row.parent_id}
        }
        self.live.put(
            parent,  # type: ignore[arg-type]
            checkpoint,
            self.serde.loads_typed((row.meta_type, row.meta)),
            dict(checkpoint["channel_versions"]),
        )
        here = {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": row.checkpoint_id}
        }
        tasks: dict[tuple[str, str], list[GraphWrite]] = {}
        for w in writes:
            tasks.setdefault((w.task_id, w.task_path), []).append(w)
        for (task_id, path), task_writes in tasks.items():
            # regular writes first, in their order (their position is their index), then the
            # special ones (error, interrupt, resume), which have fixed negative indexes
            task_writes.sort(key=lambda w: (w.idx < 0, w.idx))
            values = [(w.channel, self.serde.loads_typed((w.type, w.value))) for w in task_writes]
            self.live.put_writes(here, values, task_id, path)  # type: ignore[arg-type]
        self._started[thread_id] = time.monotonic()
        self._loaded.add(thread_id)
        return True

    # -- writes of a running graph: memory only
    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        self._started.setdefault(str(config["configurable"]["thread_id"]), time.monotonic())
        return self.live.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self._started.setdefault(str(config["configurable"]["thread_id"]), time.monotonic())
        self.live.put_writes(config, writes, task_id, task_path)

    def get_next_version(self, current: str | None, channel: None) -> str:
        return self.live.get_next_version(current, channel)

    # -- the store
    async def persist(self, thread_id: str, conversation_id: str) -> None:
        """Store the thread's latest live checkpoint and its pending writes (replacing what the
        store held for it) with the conversation's wait for a yes, in one transaction, and drop
        the thread from memory."""
        rows: list[GraphCheckpoint | GraphWrite] = []
        for ns, checkpoints in self.live.storage.get(thread_id, {}).items():
            if not checkpoints:
                continue
            latest = self.live.get_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ns}})
            assert latest is not None
            checkpoint_id = latest.config["configurable"]["checkpoint_id"]
            kind, blob = self.serde.dumps_typed(latest.checkpoint)
            meta_kind, meta = self.serde.dumps_typed(latest.metadata)
            parent = (latest.parent_config or {}).get("configurable", {}).get("checkpoint_id")
            rows.append(
                GraphCheckpoint(
                    thread_id=thread_id, checkpoint_ns=ns, checkpoint_id=checkpoint_id, parent_id=parent,
                    type=kind, checkpoint=blob, meta_type=meta_kind, meta=meta, created_at=utcnow(),
                )
            )  # fmt: skip
            for (task_id, idx), (_, channel, value, path) in self.live.writes.get(
                (thread_id, ns, checkpoint_id), {}
            ).items():
                rows.append(
                    GraphWrite(
                        thread_id=thread_id, checkpoint_ns=ns, checkpoint_id=checkpoint_id, task_id=task_id,
                        idx=idx, channel=channel, type=value[0], value=value[1], task_path=path,
                    )
                )  # fmt: skip

        wait = ApprovalWait(conversation_id=conversation_id, thread_id=thread_id, created_at=utcnow())

        async def write(s: AsyncSession) -> None:
            await _delete_stored(s, [thread_id])
            s.add_all(rows)
            await s.merge(wait)

        await self.db.run_write(write)
        self._forget(thread_id)

    async def adelete_thread(self, thread_id: str) -> None:
        """Drop the thread from memory, and from the store when this process read it there."""
        stored = thread_id in self._loaded
        self._forget(thread_id)
        if stored:

            async def write(s: AsyncSession) -> None:
                await _delete_stored(s, [thread_id])

            await self.db.run_write(write)

    def _forget(self, thread_id: str) -> None:
        self.live.delete_thread(thread_id)
        self._started.pop(thread_id, None)
        self._loaded.discard(thread_id)

    def forget_stale(self, older_than: timedelta = ORPHAN_AFTER) -> int:
        """Drop live threads of runs that never reached `persist` or `adelete_thread` (a turn
        that failed or timed out); their count."""
        cutoff = time.monotonic() - older_than.total_seconds()
        stale = [t for t, started in self._started.items() if started < cutoff]
        for thread_id in stale:
            self._forget(thread_id)
        return len(stale)

    async def purge_orphans(self, older_than: timedelta = ORPHAN_AFTER) -> int:
        """Delete the stored threads older than `older_than` that no conversation waits on."""
        cutoff = utcnow() - older_than
        waiting = select(ApprovalWait.thread_id)

        async def write(s: AsyncSession) -> int:
            stale = list(
                await s.scalars(
                    select(GraphCheckpoint.thread_id)
                    .where(GraphCheckpoint.created_at < cutoff, GraphCheckpoint.thread_id.not_in(waiting))
                    .distinct()
                )
            )
            if stale:
                await _delete_stored(s, stale)
            return len(stale)

        return await self.db.run_write(write)


async def _delete_stored(s: AsyncSession, thread_ids: list[str]) -> None:
    await s.execute(delete(GraphWrite).where(GraphWrite.thread_id.in_(thread_ids)))
    await s.execute(delete(GraphCheckpoint).where(GraphCheckpoint.thread_id.in_(thread_ids)))


async def take_wait(db: Database, conversation_id: str) -> str | None:
    """The thread the conversation waits on, taken (deleted) so that only one message resumes it:
    of two replicas reading the same row, the one whose delete removed it wins."""
    async with db.session() as s:
        thread_id = await s.scalar(
            select(ApprovalWait.thread_id).where(ApprovalWait.conversation_id == conversation_id)
        )
    if thread_id is None:
        return None

    async def write(s: AsyncSession) -> bool:
        result = await s.execute(
            delete(ApprovalWait).where(
                ApprovalWait.conversation_id == conversation_id, ApprovalWait.thread_id == thread_id
            )
        )
        return bool(getattr(result, "rowcount", 0))

    return thread_id if await db.run_write(write) else None
