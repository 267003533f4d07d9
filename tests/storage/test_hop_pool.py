"""The one-trip work's own connections (`storage.hop_pool`): reused across writes and reads, at
most `keep` kept, kept after the database refuses a statement (the work rolled back), closed
after anything else, and closed with the `Database`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import IntegrityError

from frontdesk.storage.db import Database
from frontdesk.storage.hop_pool import HopPool
from frontdesk.storage.write_tx import Plan, Tx, run_in_one_hop
from tests.storage.test_group_commit import INSERT, store

ONE = Plan(select(bindparam("x")))
__all__ = ["store"]  # the fixture (a store with a table `t`), used by name


async def test_writes_and_reads_reuse_one_connection(store: Database) -> None:
    seen = set()
    for _ in range(3):
        async with store._hops.connection() as (_, driver):
            seen.add(id(driver))
        assert await store.run_read_tx(lambda tx: tx.execute(ONE, {"x": 7})) == [(7,)]
        await store.run_write_tx(lambda tx: tx.execute(ONE, {"x": 1}))
    assert len(seen) == 1 and len(store._hops._shelf) == 1


async def hold(pool: HopPool, gate: asyncio.Event) -> None:
    """Hold one of `pool`'s connections until `gate` is set."""
    async with pool.connection():
        await gate.wait()


async def test_at_most_keep_are_kept(store: Database) -> None:
    pool = HopPool(store.engine, keep=2)
    gate = asyncio.Event()
    tasks = [asyncio.create_task(hold(pool, gate)) for _ in range(4)]
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.gather(*tasks)
    assert len(pool._shelf) == 2
    await pool.aclose()
    assert pool._shelf == []
    async with pool.connection() as (_, driver):  # after closing: still works, kept no more
        assert driver._connection is not None
    assert pool._shelf == []


async def test_a_refused_statement_keeps_the_connection_out_of_any_transaction(store: Database) -> None:
    def twice(tx: Tx) -> None:
        tx.execute(INSERT, {"k": 1, "v": 1})
        tx.execute(INSERT, {"k": 1, "v": 1})

    with pytest.raises(IntegrityError):
        async with store._hops.connection() as (dialect, driver):
            await driver.transaction(run_in_one_hop, dialect, twice)
    assert len(store._hops._shelf) == 1
    _, driver = store._hops._shelf[0]
    assert not driver._conn.in_transaction  # rolled back: the first row is gone too
    count = Plan(text("SELECT count(*) FROM t"))
    assert await store.run_read_tx(lambda tx: tx.execute(count, {})) == [(0,)]


async def test_another_failure_closes_the_connection(store: Database) -> None:
    def boom(tx: Tx) -> None:
        raise RuntimeError("not the database")

    with pytest.raises(RuntimeError):
        await store.run_read_tx(boom)
    assert store._hops._shelf == []
    assert await store.run_read_tx(lambda tx: tx.execute(ONE, {"x": 2})) == [(2,)]


async def test_closing_the_database_closes_the_kept_connections(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'c.db'}")
    assert await db.run_read_tx(lambda tx: tx.execute(ONE, {"x": 1})) == [(1,)]
    _, driver = db._hops._shelf[0]
    await db.close()
    assert db._hops._shelf == [] and driver._connection is None


async def test_callers_past_keep_wait_for_a_kept_connection(store: Database) -> None:
    """32 callers at once on a pool of 2: never more than 2 connections in use or opened, and a
    caller cancelled while it waits takes no slot with it."""
    pool = HopPool(store.engine, keep=2)
    in_use, peak, drivers = 0, 0, set()

    async def work() -> None:
        nonlocal in_use, peak
        async with pool.connection() as (_, driver):
            drivers.add(id(driver))
            in_use += 1
            peak = max(peak, in_use)
            await asyncio.sleep(0.005)
            in_use -= 1

    blocker = asyncio.Event()
    holders = [asyncio.create_task(hold(pool, blocker)) for _ in range(2)]
    await asyncio.sleep(0.01)
    waiting = asyncio.create_task(work())  # no slot free: it waits
    await asyncio.sleep(0.01)
    assert not waiting.done() and peak == 0
    waiting.cancel()
    blocker.set()
    await asyncio.gather(*holders)
    await asyncio.gather(*(work() for _ in range(32)))
    assert peak == 2 and len(drivers) == 2 and len(pool._shelf) == 2
    await pool.aclose()
