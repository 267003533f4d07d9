"""`storage.sqlite_driver`: a statement in one trip to aiosqlite's thread, with SQLite's own
results, errors and locking. Real SQLite files; two engines on one file for the lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from frontdesk.storage import sqlite_driver
from frontdesk.storage.db import Database, is_busy


def _url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'one-hop.db'}"


async def test_rows_rowcount_lastrowid_and_executemany(tmp_path: Path) -> None:
    db = Database(_url(tmp_path))
    try:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
            inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
            assert inserted.lastrowid == 1 and inserted.rowcount == 1
            await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}, {"v": "d"}])
            returned = await conn.execute(text("INSERT INTO t (v) VALUES ('e') RETURNING id, v"))
            assert returned.all() == [(5, "e")]
            changed = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id > 2"))
            assert changed.rowcount == 3
        async with db.session() as s:
            rows = (await s.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
            assert rows == [(1, "a"), (2, "b"), (3, "c!"), (4, "d!"), (5, "e!")]
            streamed = await s.stream(text("SELECT v FROM t ORDER BY id"))
            assert [r[0] async for r in streamed] == ["a", "b", "c!", "d!", "e!"]
            with pytest.raises(IntegrityError):
                await s.execute(text("INSERT INTO t (v) VALUES ('a')"))
            await s.rollback()
            assert await s.scalar(text("SELECT count(*) FROM t")) == 5  # the failed insert left nothing
    finally:
        await db.close()


async def test_connections_are_one_hop_and_skip_idle_rollbacks(tmp_path: Path) -> None:
    db = Database(_url(tmp_path))
    try:
        async with db.session() as s:
            raw = (await (await s.connection()).get_raw_connection()).driver_connection
            assert isinstance(raw, sqlite_driver.OneHopConnection)
            await s.execute(text("SELECT 1"))
            assert raw._maybe_in_transaction is False  # a read opens no transaction in SQLite
            await s.execute(text("CREATE TABLE t (v TEXT)"))
            await s.execute(text("INSERT INTO t VALUES ('x')"))
            assert raw._maybe_in_transaction is True
            await s.rollback()
            assert raw._maybe_in_transaction is False
            assert await s.scalar(text("SELECT count(*) FROM t")) == 0  # the rollback did reach SQLite
            await s.execute(text("CREATE UNIQUE INDEX t_v ON t (v)"))
            await s.execute(text("INSERT INTO t VALUES ('x')"))
            await s.commit()
            assert raw._maybe_in_transaction is False
            with pytest.raises(IntegrityError):  # a failing INSERT began a transaction in SQLite
                await s.execute(text("INSERT INTO t VALUES ('x')"))
            assert raw._maybe_in_transaction is True  # so the rollback is not skipped
            await s.rollback()
        async with db.write() as w:  # no lock was left behind: the next writer gets it at once
            await w.execute(text("INSERT INTO t VALUES ('y')"))
            await w.commit()
    finally:
        await db.close()


async def test_a_write_lock_held_by_another_engine_is_waited_for_then_busy(tmp_path: Path) -> None:
    """Busy handling is SQLite's: the busy timeout is waited on the connection's thread, and a lock
    held past it is `database is locked` (an OperationalError `Database.run_write` retries)."""
    url = _url(tmp_path)
    holder, writer = Database(url), Database(url)

    def short_busy(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA busy_timeout=200")
        cursor.close()

    event.listen(writer.engine.sync_engine, "connect", short_busy)
    try:
        async with holder.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (v TEXT)"))
        async with holder.write() as s:  # BEGIN IMMEDIATE: the file's write lock
            await s.execute(text("INSERT INTO t VALUES ('held')"))
            with pytest.raises(OperationalError) as refused:
                async with writer.write() as w:
                    await w.execute(text("INSERT INTO t VALUES ('blocked')"))
            assert is_busy(refused.value)
            assert isinstance(refused.value.orig, sqlite3.OperationalError)
            await s.commit()
        await writer.run_write(lambda w: w.execute(text("INSERT INTO t VALUES ('after')")))
        async with writer.session() as r:
            assert (await r.execute(text("SELECT v FROM t ORDER BY v"))).scalars().all() == ["after", "held"]
    finally:
        await holder.close()
        await writer.close()
