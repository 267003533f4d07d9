"""Engine and session factory. SQLite gets WAL, foreign keys and a busy timeout on every connection.

Writes that must not collide go through `Database.write()` / `Database.run_write()`:

- on SQLite, one writer at a time inside the process (an asyncio lock, so waiting writers wait on
  the event loop instead of in SQLite's busy handler), each write transaction opened with
  `BEGIN IMMEDIATE` (it takes the write lock before its first read, so a read-then-write cannot
  fail half way), and `SQLITE_BUSY` from another process retried with backoff;
- on PostgreSQL, plain transactions; callers lock the rows they read-then-write (`FOR UPDATE`).

`run_write(fn)` also retries an `IntegrityError` that a concurrent writer in another process can
cause (e.g. the same sequence number), so `fn` must be safe to run again from the start.

`run_write_tx(fn)` is the same transaction for a synchronous `fn(tx)` over Core statements
(`storage.write_tx`): on SQLite with `sqlite_driver`'s connections the whole transaction is one
trip to the connection's thread, or, alone, one call on the loop's thread on such a connection
(`storage.inline`); elsewhere it runs on a session like `run_write`.
`run_read_tx(fn)` runs reads written the same way (`storage.read_tx`) in one trip, outside a
transaction.
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

from frontdesk.storage import contact_anchors, inline, sqlite_driver, write_tx
from frontdesk.storage.events import EventBus
from frontdesk.storage.group_commit import GroupCommit
from frontdesk.storage.hop_pool import HopPool
from frontdesk.storage.wal_checkpoints import WalCheckpoints
from frontdesk.storage.write_tx import is_busy

log = logging.getLogger(__name__)
T = TypeVar("T")
BUSY_TIMEOUT_MS = 10_000  # SQLite waits this long for another process's write lock
WRITE_ATTEMPTS = 6  # tries of one `run_write` transaction before the error reaches the caller


# Reads of a large store (a deep offset walking 150,000 index entries, 5,000 search matches looked
# up by rowid) spend much of their time copying pages into SQLite's page cache (2 MiB by default).
# Reading the file through a memory map (shared with the OS page cache, not per connection) and a
# 16 MiB cache per connection cut such reads by about a quarter on the 1M-message bench store
# (docs/benchmarks.md, store_scale notes).
SQLITE_CACHE_KIB = -16_384  # negative: KiB (16 MiB a connection, allocated as pages are used)
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
# Temporary tables, sorters and materialized subqueries in memory, not in temp files: the rollup
# triggers of a turn's writes (`rollup_triggers`: GROUP BY, a grains subquery) use them on every
# message. A message's insert took ~0.10 ms instead of ~0.12-0.13 ms in the server; replayed alone
# on a copy of the bench store, the answer's write transaction ~0.29 instead of ~0.45 ms. Sorts
# of a big read use memory too (about the rows' size) instead of spilling to a file.
SQLITE_TEMP_STORE = "MEMORY"
WAL_AUTOCHECKPOINT_PAGES = 4_000  # a commit checkpoints past this (16 MB); the server's store is
# checkpointed in the background well before (`wal_checkpoints`), other processes at this size


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size={SQLITE_CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.execute(f"PRAGMA temp_store={SQLITE_TEMP_STORE}")
    cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
    cursor.close()


class Database:
    """Owns the async engine and hands out sessions. `close()` is async (`aclose` semantics)."""

    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self._path = parsed.database if self.is_sqlite and parsed.database != ":memory:" else None
        if self._path:  # a file (not an in-memory store)
            path = Path(self._path)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)  # owner-only before SQLite opens it (-wal/-shm follow)
        self.one_hop = parsed.drivername == "sqlite+aiosqlite"  # `run_write_tx` in one thread call
        self.engine: AsyncEngine = (  # aiosqlite: one thread hop a statement (`sqlite_driver`)
            sqlite_driver.create_engine(url)
            if self.one_hop
            else create_async_engine(url, pool_pre_ping=not self.is_sqlite)
        )
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.events = EventBus()  # changes written through this store announce themselves here
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, info={"events": self.events}
        )
        self._write_lock = asyncio.Lock()
        self._hops = HopPool(self.engine)  # the one-trip work's connections (SQLite)
        self._group = GroupCommit(self._write_lock, self._hops)  # `run_write_tx` on SQLite
        self.checkpoints: WalCheckpoints | None = None

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

        async def attempt() -> T:
            async with self.write() as session:
                result = await fn(session)
                await session.commit()
                return result

        return await self._retried(attempt, retry_conflicts)

    async def run_write_tx(self, fn: Callable[[write_tx.Tx], T], *, retry_conflicts: bool = False) -> T:
        """`run_write` for a synchronous `fn(tx)` over Core statements (`storage.write_tx`): on
        SQLite (`sqlite_driver`) `BEGIN IMMEDIATE`, `fn` and `COMMIT` run in one call on the
        connection's thread, under the process's write lock (with the others that queued for it
        meanwhile, each in a savepoint: `storage.group_commit`); elsewhere `fn` runs on a session's
        connection (`AsyncSession.run_sync`). Retried as `run_write` is."""
        if not self.one_hop:

            async def on_session(session: AsyncSession) -> T:
                return await session.run_sync(lambda s: fn(write_tx.SessionTx(s.connection())))

            return await self.run_write(on_session, retry_conflicts=retry_conflicts)

        return await self._retried(lambda: self._group.run(fn), retry_conflicts)  # type: ignore[no-any-return]

    async def run_read_tx(self, fn: Callable[[write_tx.Tx], T], *, one_hop: bool = True) -> T:
        """Reads: a synchronous `fn(tx)` over Core statements (`storage.read_tx`). On SQLite
        (`sqlite_driver`, and `one_hop`) on a kept connection, outside any transaction and without
        the write lock: on the loop's thread when done within `inline.READ_BUDGET_SECONDS`, else
        again from the start in one call on the connection's thread (`storage.inline`); elsewhere
        on a session's connection."""
        if not (self.one_hop and one_hop):
            async with self.sessionmaker() as session:
                return await session.run_sync(lambda s: fn(write_tx.SessionTx(s.connection())))
        async with self._hops.connection() as (dialect, driver):
            result = inline.run_read(driver._conn, dialect, fn)
            if result is not inline.DEFERRED:
                return result  # type: ignore[return-value]
            return await driver.transaction(write_tx.run_reads_in_one_hop, dialect, fn)  # type: ignore[no-any-return]

    async def _retried(self, attempt: Callable[[], Awaitable[T]], retry_conflicts: bool) -> T:
        delay = 0.05
        for n in range(1, WRITE_ATTEMPTS + 1):
            try:
                return await attempt()
            except (OperationalError, IntegrityError) as e:
                retryable = is_busy(e) or (retry_conflicts and isinstance(e, IntegrityError))
                if n == WRITE_ATTEMPTS or not retryable:
                    raise
                log.info("write transaction retried (%s), attempt %d", type(e).__name__, n)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    async def start_checkpoints(self) -> None:
        """Take SQLite's WAL checkpoints in the background from now on (`storage.wal_checkpoints`:
        the server's store); nothing on other stores or when already started."""
        if self._path and self.checkpoints is None:
            self.checkpoints = WalCheckpoints(self._path)
            await self.checkpoints.start()

    async def close(self) -> None:
        await contact_anchors.settled()  # a contact list's anchor read under way ends first
        if self.checkpoints is not None:
            await self.checkpoints.aclose()
            self.checkpoints = None
        await self._hops.aclose()
        await self.engine.dispose()
