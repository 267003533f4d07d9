"""Short SQLite work on the loop's own thread (`storage.inline`), on a kept connection.

A lone write: committed there, never waiting for SQLite's lock on the loop (another process
holding it sends the write to the connection's thread, and the loop keeps running), never
checkpointing there, the connection's settings back afterwards, rolled back whole on failure.
A read: done there within its budget; past it, interrupted and run again on the connection's
thread, so the loop is never held for the whole of a long read."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from frontdesk.storage.db import Database
from frontdesk.storage.write_tx import Plan, Tx
from tests.storage.test_group_commit import INSERT, ROWS, insert, lock_held, store

__all__ = ["store"]  # the fixture (a store with a table `t`), used by name


def where(k: int) -> object:
    """A write that also reports the thread it ran on."""

    def write(tx: Tx) -> int:
        tx.execute(INSERT, {"k": k, "v": 1})
        return threading.get_ident()

    return write


TIMEOUT, PAGES = Plan(text("PRAGMA busy_timeout")), Plan(text("PRAGMA wal_autocheckpoint"))


def settings(tx: Tx) -> tuple[object, object]:
    return tx.execute(TIMEOUT, {})[0][0], tx.execute(PAGES, {})[0][0]


def kept_settings(store: Database) -> tuple[object, ...]:
    """The kept connection's busy timeout and checkpoint threshold, between calls."""
    [(_, driver)] = store._hops._shelf
    conn = driver._conn
    return (
        conn.execute("PRAGMA busy_timeout").fetchone() + conn.execute("PRAGMA wal_autocheckpoint").fetchone()
    )


async def test_a_lone_write_is_committed_on_the_loops_thread(store: Database) -> None:
    before = store._group.inline_runs

    def write(tx: Tx) -> tuple[int, object]:
        tx.execute(INSERT, {"k": 1, "v": 1})
        return threading.get_ident(), settings(tx)

    assert await store.run_write_tx(write) == (threading.get_ident(), (0, 0))  # no waits, no checkpoint
    assert store._group.inline_runs == before + 1
    with sqlite3.connect(store._path) as other:  # committed: another connection sees it
        assert other.execute("SELECT k FROM t").fetchall() == [(1,)]
    assert kept_settings(store) == (10_000, 4_000)  # the store's own, back


async def test_another_process_holding_the_lock_sends_the_write_to_a_thread(store: Database) -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    other = lock_held(store, 0.3)  # as a `frontdesk` command on the same file would
    try:
        ran_on = await store.run_write_tx(where(2))
    finally:
        running.cancel()
        other.close()
    assert ran_on != threading.get_ident()  # waited for the lock on a connection's thread
    assert ticks >= 10  # and the loop went on meanwhile
    assert await store.run_read_tx(lambda tx: tx.execute(ROWS, {})) == [(2,)]


async def test_a_failing_write_is_rolled_back_and_the_next_one_runs(store: Database) -> None:
    def half(tx: Tx) -> None:
        tx.execute(INSERT, {"k": 3, "v": 1})
        raise RuntimeError("the caller's own error")

    with pytest.raises(RuntimeError):
        await store.run_write_tx(half)
    assert await store.run_write_tx(insert(4)) == 4
    assert await store.run_read_tx(lambda tx: tx.execute(ROWS, {})) == [(4,)]


async def test_a_short_read_runs_on_the_loops_thread(store: Database) -> None:
    await store.run_write_tx(insert(5))

    def read(tx: Tx) -> tuple[int, object, object]:
        return threading.get_ident(), tx.execute(ROWS, {}), settings(tx)[0]

    assert await store.run_read_tx(read) == (threading.get_ident(), [(5,)], 0)
    assert kept_settings(store) == (10_000, 4_000)  # the busy timeout is back too


async def test_a_read_past_its_budget_runs_again_on_the_connections_thread(store: Database) -> None:
    """A read of ~a million generated rows: interrupted on the loop within its budget, then done
    on the thread; the loop is never held for long meanwhile."""
    many = Plan(
        text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000) "
            "SELECT count(*), sum(i) FROM n"
        )
    )
    runs: list[int] = []

    def read(tx: Tx) -> object:
        runs.append(threading.get_ident())
        return tx.execute(many, {})

    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    running = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    started = time.perf_counter()
    try:
        assert await store.run_read_tx(read) == [(1_000_000, 500_000_500_000)]
    finally:
        running.cancel()
    took = time.perf_counter() - started
    assert runs[0] == threading.get_ident() and runs[-1] != threading.get_ident() and len(runs) == 2
    assert took > 0.05  # a long read (the check below means something)
    assert max(gaps) < took / 2  # the loop went on while the thread read
