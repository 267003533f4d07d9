"""Retention of the approval checkpointer on a real store: a persisted question is kept while its
conversation waits, the sweep removes old threads nobody waits on, deleting the conversation
takes its wait with it, and live threads of failed runs are dropped from memory."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from frontdesk.storage import conversations as store
from frontdesk.storage.checkpoint_models import ApprovalWait, GraphCheckpoint
from frontdesk.storage.checkpoints import StoreSaver, take_wait
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from tests.conftest import new_identity

CHECKPOINT = {
    "v": 4,
    "id": "1f0a0000-0000-6000-8000-000000000001",
    "ts": "2026-12-01T21:00:00+00:00",
    "channel_values": {"messages": ["hello"]},
    "channel_versions": {"messages": "00000000000000000000000000000001.1"},
    "versions_seen": {},
    "updated_channels": None,
}


async def live_thread(saver: StoreSaver, thread: str) -> None:
    saver.start(thread)
    config = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    versions = dict(CHECKPOINT["channel_versions"])  # type: ignore[call-overload]
    stored = await saver.aput(config, dict(CHECKPOINT), {"source": "loop", "step": 1}, versions)  # type: ignore[arg-type]
    await saver.aput_writes(stored, [("__interrupt__", {"question": "sure?"})], "task-1")


async def count(db: Database, model: type, *threads: str) -> int:
    """Rows of `model` for these threads only: on a shared database other tests' rows are there."""
    column = model.thread_id
    async with db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(column.in_(threads))) or 0)


async def test_waiting_threads_are_kept_and_orphans_swept(db: Database) -> None:
    identity = await new_identity(db, "Keeper")
    async with db.session() as s:
        waiting = await store.create_conversation(s, identity.principal())
        dropped = await store.create_conversation(s, identity.principal())
    saver = StoreSaver(db)
    threads = (f"{waiting.id}:t", f"{dropped.id}:t")
    for conv in (waiting, dropped):
        await live_thread(saver, f"{conv.id}:t")
        await saver.persist(f"{conv.id}:t", conv.id)
    assert saver.live.storage == {} and await count(db, GraphCheckpoint, *threads) == 2

    other = StoreSaver(db)  # another process reads the stored question and its interrupt write
    found = await other.aget_tuple({"configurable": {"thread_id": f"{waiting.id}:t"}})
    assert found is not None and found.checkpoint["channel_values"] == {"messages": ["hello"]}
    assert [(w[1], w[2]) for w in found.pending_writes or []] == [("__interrupt__", {"question": "sure?"})]

    assert await take_wait(db, dropped.id) == f"{dropped.id}:t"  # answered, then the process died
    assert await take_wait(db, dropped.id) is None  # taken once only
    async with db.session() as s:
        ours = GraphCheckpoint.thread_id.in_(threads)
        await s.execute(update(GraphCheckpoint).where(ours).values(created_at=utcnow() - timedelta(hours=2)))
        await s.commit()
    # ours: the dropped thread goes, the waiting one stays however old (a shared database may hold
    # other old orphans, which go too)
    assert await saver.purge_orphans() >= 1
    assert (
        await count(db, GraphCheckpoint, threads[0]) == 1
        and await count(db, GraphCheckpoint, threads[1]) == 0
    )

    async with db.session() as s:
        await store.delete_conversation(s, identity.principal(), waiting.id)
    assert await count(db, ApprovalWait, *threads) == 0
    assert await saver.purge_orphans() >= 1 and await count(db, GraphCheckpoint, *threads) == 0


async def test_failed_runs_are_forgotten(db: Database) -> None:
    saver = StoreSaver(db)
    await live_thread(saver, "conv:gone:t")
    assert saver.forget_stale() == 0  # still young
    assert saver.forget_stale(older_than=timedelta(0)) == 1
    assert saver.live.storage == {} and await count(db, GraphCheckpoint, "conv:gone:t") == 0
