"""aiosqlite with one trip to the connection's thread a statement instead of four.

SQLAlchemy's aiosqlite adapter runs each statement as four calls queued to aiosqlite's worker
thread, each awaited on the event loop: make a cursor, execute, fetch all rows, close the cursor;
and it rolls back every connection it returns to the pool, in a transaction or not. Each call is a
thread hop (a queue put, a wake-up of the thread, `call_soon_threadsafe` and a wake-up of the
loop), and on a turn's short statements the hops cost more than SQLite's own work.

`OneHopConnection` is an `aiosqlite.Connection` whose cursors do all of a statement in one call
on that thread (the rows are fetched there and handed back with the cursor's description,
rowcount and lastrowid), and whose `commit` / `rollback` skip the trip when the connection is
known to have no transaction open (SQLite's `in_transaction`, read on the thread after every
statement that succeeds; a failed statement, or anything else that reaches the thread, counts as
"maybe").

Nothing else changes: every statement still runs on the connection's own thread, in order, so
`Database.write()` serialization (`BEGIN IMMEDIATE` under the process's write lock), the busy
timeout (`PRAGMA busy_timeout`, waited on that thread) and SQLite's errors (raised as the same
`sqlite3` exceptions, which SQLAlchemy translates as before) are those of plain aiosqlite.
Partial: server-side cursors (`stream_results`) fetch all rows at once too — frontdesk does not
stream from SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

Row = Any
Snapshot = tuple[Any, int, int | None, bool]  # description, rowcount, lastrowid, in_transaction


class OneHopCursor:
    """What SQLAlchemy's adapter needs of an aiosqlite cursor; a statement is one thread call."""

    def __init__(self, conn: OneHopConnection) -> None:
        self._conn = conn
        self._rows: list[Row] = []
        self._at = 0
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    async def __aenter__(self) -> OneHopCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    def _take(self, result: tuple[list[Row], Snapshot]) -> OneHopCursor:
        self._rows, (self.description, self.rowcount, self.lastrowid, in_tx) = result
        self._at = 0
        self._conn._maybe_in_transaction = in_tx
        return self

    async def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> OneHopCursor:
        conn = self._conn
        conn._maybe_in_transaction = True  # until the statement reports: a failed one may have begun one
        return self._take(await conn._execute(_run, conn._conn, sql, parameters, many=False))

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> OneHopCursor:
        conn = self._conn
        conn._maybe_in_transaction = True
        return self._take(await conn._execute(_run, conn._conn, sql, list(parameters), many=True))

    async def fetchone(self) -> Row | None:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    async def fetchmany(self, size: int | None = None) -> list[Row]:
        end = self._at + (size or self.arraysize)
        found, self._at = self._rows[self._at : end], min(end, len(self._rows))
        return found

    async def fetchall(self) -> list[Row]:
        found, self._at = self._rows[self._at :], len(self._rows)
        return found

    async def close(self) -> None:
        self._rows = []


def _run(conn: sqlite3.Connection, sql: str, parameters: Any, *, many: bool) -> tuple[list[Row], Snapshot]:
    """On the connection's thread: the whole statement, its rows and the cursor's state."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, (cursor.description, cursor.rowcount, cursor.lastrowid, conn.in_transaction)
    finally:
        cursor.close()


class OneHopConnection(aiosqlite.Connection):
    _maybe_in_transaction = True  # until a statement of ours reads SQLite's own flag

    def cursor(self) -> OneHopCursor:  # type: ignore[override]
        return OneHopCursor(self)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if fn is not _run:
            self._maybe_in_transaction = True  # something else ran on the thread: do not assume
        return await super()._execute(fn, *args, **kwargs)

    async def transaction(self, fn: Callable[..., Any], *args: Any) -> Any:
        """`fn(sqlite3_connection, *args)` on the connection's thread, in one trip, for a function
        that ends every transaction it begins (`write_tx.run_in_one_hop`: commit or rollback)."""
        return await self.start(fn, *args)

    def start(self, fn: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        """`transaction` without awaiting it: `fn` is queued for the thread at once and the
        returned future holds its outcome. A caller that must not let go of the connection before
        the thread is done with it (`group_commit`: the write lock) awaits the future through
        `asyncio.shield` and on cancellation waits for it, without a task of its own.

        This queues on aiosqlite's worker as `aiosqlite.Connection._execute` does (its queue of
        `(future, function)`, whose outcome the worker sets with `call_soon_threadsafe`)."""
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        self._maybe_in_transaction = True  # do not assume how it ends until it has ended well
        done = asyncio.get_running_loop().create_future()
        done.add_done_callback(self._ended)
        self._tx.put_nowait((done, partial(fn, self._conn, *args)))
        return done

    def _ended(self, done: asyncio.Future[Any]) -> None:
        if not done.cancelled() and done.exception() is None:
            self._maybe_in_transaction = False

    async def commit(self) -> None:
        if self._maybe_in_transaction:
            await super().commit()
            self._maybe_in_transaction = False

    async def rollback(self) -> None:
        if self._maybe_in_transaction:
            await super().rollback()
            self._maybe_in_transaction = False


def create_engine(url: str, **options: Any) -> Any:
    """`create_async_engine(url)` for a `sqlite+aiosqlite` URL, its connections `OneHopConnection`s
    opened with the arguments SQLAlchemy's own dialect would pass."""
    parsed = make_url(url)
    args, kwargs = parsed.get_dialect()().create_connect_args(parsed)
    database = args[0] if args else kwargs.pop("database")

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    async def connect() -> OneHopConnection:
        conn = OneHopConnection(connector, iter_chunk_size=64)
        conn._thread.daemon = True  # as SQLAlchemy's dialect does: a forgotten pool does not hang exit
        return await conn

    return create_async_engine(url, async_creator=connect, **options)
