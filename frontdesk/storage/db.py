"""Engine and session factory. SQLite gets WAL, foreign keys and a busy timeout on every connection.

Writes that must not collide go through `Database.write()` / `Database.run_write()`:

- on SQLite, one writer at a time inside the process (an asyncio lock, so waiting writers wait on
  the event loop instead of in SQLite's busy handler), each write transaction opened with
  `BEGIN IMMEDIATE` (it takes the write lock before its first read, so a read-then-write cannot
  fail half way), and `SQLITE_BUSY` from another process retried with backoff;
- on PostgreSQL, plain transactions; callers lock the rows they read-then-write (`FOR UPDATE`).

`run_write(fn)` also retries an `IntegrityError` that a concurrent writer in another process can
cause (e.g. the same sequence number), so `fn` must be safe to run again from the start.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from frontdesk.storage import sqlite_driver
from frontdesk.storage.events import EventBus

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000  # SQLite waits this long for another process's write lock
WRITE_ATTEMPTS = 6  # tries of one `run_write` transaction before the error reaches the caller


def is_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked" / "database is busy" (another connection holds the lock)."""
    if not isinstance(exc, OperationalError):
        return False
    text_ = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in text_ or "database is busy" in text_


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """Owns the async engine and hands out sessions. `close()` is async (`aclose` semantics)."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)  # owner-only before SQLite opens it (-wal/-shm follow)
        self.engine: AsyncEngine = (  # aiosqlite: one thread hop a statement (`sqlite_driver`)
            sqlite_driver.create_engine(url)
            if parsed.drivername == "sqlite+aiosqlite"
            else create_async_engine(url, pool_pre_ping=not self.is_sqlite)
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.events = EventBus()  # changes written through this store announce themselves here
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, info={"events": self.events}
        )
        self._write_lock = asyncio.Lock()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessionmaker() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session for one short write transaction (the caller commits). On SQLite it holds the
        process's write lock and starts with `BEGIN IMMEDIATE`; on PostgreSQL it is a plain session."""
        if not self.is_sqlite:
            async with self.sessionmaker() as session:
                yield session
            return
        async with self._write_lock, self.sessionmaker() as session:
            await session.execute(text("BEGIN IMMEDIATE"))
            yield session

    async def run_write(
        self, fn: Callable[[AsyncSession], Awaitable[T]], *, retry_conflicts: bool = False
    ) -> T:
        """Run `fn(session)` in one write transaction and commit; retry the whole transaction when
        SQLite is busy (another process) and, with `retry_conflicts`, when a concurrent writer in
        another process broke a unique constraint (e.g. took the same sequence number)."""
        delay = 0.05
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                async with self.write() as session:
                    result = await fn(session)
                    await session.commit()
                    return result
            except (OperationalError, IntegrityError) as e:
                retryable = is_busy(e) or (retry_conflicts and isinstance(e, IntegrityError))
                if attempt == WRITE_ATTEMPTS or not retryable:
                    raise
                log.info("write transaction retried (%s), attempt %d", type(e).__name__, attempt)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        await self.engine.dispose()
