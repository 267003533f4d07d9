"""Background WAL checkpoints (`storage.wal_checkpoints`, `Database.start_checkpoints`): with them
a commit's rows reach the database file itself within a checkpoint interval, without them they
stay in the `-wal` file until a commit passes the threshold; closing the `Database` stops them."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import text

from frontdesk.storage import wal_checkpoints
from frontdesk.storage.db import Database
from frontdesk.storage.write_tx import Plan, Tx

INSERT = Plan(text("INSERT INTO t (k) VALUES (:k)"))


async def rows_in_the_file_alone(tmp_path: Path, *, background: bool) -> int:
    """Write 20 rows, wait a few intervals, and count the rows of a copy of the database file
    without its WAL (what a checkpoint has copied back)."""
    path = tmp_path / f"store-{background}.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (k INTEGER PRIMARY KEY)"))
        await asyncio.sleep(3 * wal_checkpoints.INTERVAL_SECONDS)  # the table itself checkpointed
        if background:
            await db.start_checkpoints()
        await asyncio.sleep(2 * wal_checkpoints.INTERVAL_SECONDS)

        def write(tx: Tx, k: int) -> None:
            tx.execute(INSERT, {"k": k})

        for k in range(20):
            await db.run_write_tx(lambda tx, k=k: write(tx, k))
        await asyncio.sleep(3 * wal_checkpoints.INTERVAL_SECONDS)
        if background:
            assert db.checkpoints is not None and db.checkpoints.taken >= 3
        copy = tmp_path / f"copy-{background}.db"
        shutil.copyfile(path, copy)  # the file alone: no -wal beside it
    finally:
        await db.close()
    assert db.checkpoints is None  # stopped with the Database
    with sqlite3.connect(copy) as conn:
        try:
            return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])
        except sqlite3.OperationalError:  # the table itself is not in the file yet
            return 0


async def test_commits_reach_the_database_file_in_the_background(tmp_path: Path) -> None:
    assert await rows_in_the_file_alone(tmp_path, background=True) == 20


async def test_without_them_commits_stay_in_the_wal_until_the_threshold(tmp_path: Path) -> None:
    assert await rows_in_the_file_alone(tmp_path, background=False) == 0


async def test_a_store_in_memory_or_elsewhere_takes_none(tmp_path: Path) -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    await db.start_checkpoints()
    assert db.checkpoints is None
    await db.close()
