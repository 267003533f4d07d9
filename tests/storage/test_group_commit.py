"""Write transactions that queue together commit together (`storage.group_commit`, SQLite): every
caller gets its own result, a failing function is rolled back alone and its caller gets its
error, the functions of a batch see each other's writes in order, and a lone write is one
transaction of its own as before."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from frontdesk.storage.db import Database
from frontdesk.storage.write_tx import Plan, Tx

INSERT = Plan(text("INSERT INTO t (k, v) VALUES (:k, :v)"))
COUNT = Plan(text("SELECT count(*), coalesce(sum(v), 0) FROM t"))
ROWS = Plan(text("SELECT k FROM t ORDER BY k"))


@pytest.fixture
async def store(tmp_path: Path) -> Any:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'g.db'}")
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)"))
    yield db
    await db.close()


def insert(k: int, v: int = 1) -> Any:
    def write(tx: Tx) -> int:
        tx.execute(INSERT, {"k": k, "v": v})
        return k

    return write


def lock_held(store: Database, seconds: float) -> sqlite3.Connection:
    """Another connection (as another process on the same file) holding SQLite's write lock for
    `seconds`; the caller closes it."""
    other = sqlite3.connect(store._path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(seconds, other.commit).start()
    return other


async def queued(store: Database, fns: list[Any]) -> list[Any]:
    """Run `fns` as concurrent writers that all queue while another write holds the lock."""
    async with store._write_lock:
        tasks = [asyncio.create_task(store.run_write_tx(fn)) for fn in fns]
        await asyncio.sleep(0.05)  # every one of them is waiting for the lock now
    return await asyncio.gather(*tasks, return_exceptions=True)


async def test_writers_that_queue_together_commit_in_one_transaction(store: Database) -> None:
    before = store._group.batches
    assert await queued(store, [insert(k) for k in range(40)]) == list(range(40))
    assert store._group.batches - before == 1
    assert await store.run_read_tx(lambda tx: tx.execute(COUNT, {})) == [(40, 40)]


async def test_a_failing_function_is_rolled_back_alone(store: Database) -> None:
    def fails_half_way(tx: Tx) -> None:
        tx.execute(INSERT, {"k": 100, "v": 5})  # rolled back with the rest of this function
        raise RuntimeError("not this one")

    outcomes = await queued(store, [insert(1), insert(1), fails_half_way, insert(2)])
    assert outcomes[0] == 1 and outcomes[3] == 2
    assert isinstance(outcomes[1], IntegrityError)  # the same key again: its caller hears it
    assert isinstance(outcomes[2], RuntimeError)
    assert await store.run_read_tx(lambda tx: tx.execute(ROWS, {})) == [(1,), (2,)]


async def test_a_batch_runs_in_arrival_order_each_seeing_the_writes_before_it(store: Database) -> None:
    def count_then_insert(k: int) -> Any:
        def write(tx: Tx) -> int:
            n = int(tx.execute(COUNT, {})[0][0])
            tx.execute(INSERT, {"k": k, "v": n})
            return n

        return write

    assert await queued(store, [count_then_insert(k) for k in range(5)]) == [0, 1, 2, 3, 4]


async def test_a_lone_write_is_its_own_transaction(store: Database) -> None:
    before = store._group.batches
    for k in range(3):
        assert await store.run_write_tx(insert(k)) == k
    assert store._group.batches - before == 3


async def test_a_writer_cancelled_while_queued_never_runs(store: Database) -> None:
    async with store._write_lock:
        task = asyncio.create_task(store.run_write_tx(insert(7)))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await store.run_write_tx(insert(8)) == 8
    assert await store.run_read_tx(lambda tx: tx.execute(ROWS, {})) == [(8,)]


async def test_a_writer_cancelled_in_its_batch_waits_for_the_commit(store: Database) -> None:
    def slow(tx: Tx) -> None:
        time.sleep(0.2)  # (on the connection's thread)
        tx.execute(INSERT, {"k": 9, "v": 1})

    async with store._write_lock:  # it queues: written by the writer task, on the thread
        task = asyncio.create_task(store.run_write_tx(slow))
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.05)  # taken into its batch, running on the thread
    task.cancel()
    await asyncio.sleep(0.05)
    assert not task.done()  # waits for the batch to end
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await store.run_read_tx(lambda tx: tx.execute(ROWS, {})) == [(9,)]  # it was committed


async def test_writes_that_queue_behind_a_lone_write_commit_together_after_it(store: Database) -> None:
    """Another process holds SQLite's write lock: the lone write goes to a connection's thread and
    waits there (`inline_writes`: BUSY), the loop goes on, and what queues behind it meanwhile is
    one transaction after it."""
    other = lock_held(store, 0.15)
    try:
        before = store._group.batches
        first = asyncio.create_task(store.run_write_tx(insert(100)))  # nothing else writing: alone
        await asyncio.sleep(0.03)
        assert not first.done()
        rest = [asyncio.create_task(store.run_write_tx(insert(k))) for k in range(6)]
        assert await first == 100 and await asyncio.gather(*rest) == list(range(6))
        assert store._group.batches - before == 2  # the lone one, then the six in one transaction
    finally:
        other.close()
