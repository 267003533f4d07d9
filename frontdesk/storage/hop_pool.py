"""Connections kept out of the engine's pool for the one-trip work on SQLite (`write_tx`,
`read_tx`): a turn's two write transactions and its tool's read each take one.

Why: checking a connection out of SQLAlchemy's async pool and back costs more than the trip it is
taken for (an `AsyncConnection`, a `Connection`, the pool's fairy and its return, ~60 us of CPU on
the bench machine against ~80 us for the trip itself). The one-trip work needs none of that: it
talks to the `sqlite_driver.OneHopConnection` directly and ends every transaction it begins. So
up to `KEEP` connections checked out once stay with the `Database` and are handed out again.

At most `KEEP` are in use at once: more callers at once wait for one to come back. Opening more
did not buy concurrency (the work is short, SQLite allows one writer, and the GIL is held for much
of a read): 32 users at once checked out a connection past the engine's pool for most of their
reads, and past its 5 idle ones each was closed on return and opened again next time, a thread, a
file and eight PRAGMAs each (`docs/benchmarks.md`: 250 -> 370-400 turns/s).

A connection goes back on the shelf only when its work ended normally or with the database's own
error (the one-trip functions roll back on any failure, so it is out of any transaction); after
anything else (a cancelled request, a closed connection) it is closed and the pool's own reset
runs. `aclose` closes the kept ones (before the engine is disposed).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from frontdesk.storage.sqlite_driver import OneHopConnection

KEEP = 4  # connections at most: more callers at once wait for one (the engine's pool, 5 + 10 overflow,
# serves the sessions)


class HopPool:
    def __init__(self, engine: AsyncEngine, keep: int = KEEP) -> None:
        self.engine = engine
        self.keep = keep
        self._slots = asyncio.Semaphore(keep)
        self._shelf: list[tuple[AsyncConnection, OneHopConnection]] = []
        self._closed = False

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[tuple[Dialect, OneHopConnection]]:
        """A one-trip connection and the engine's dialect, for the duration of the block (waiting
        for one while `keep` are in use)."""
        async with self._slots:
            async with self._kept_or_new() as pair:
                yield pair

    @asynccontextmanager
    async def _kept_or_new(self) -> AsyncIterator[tuple[Dialect, OneHopConnection]]:
        if self._shelf:
            conn, driver = self._shelf.pop()
        else:
            conn = await self.engine.connect()
            raw = await conn.get_raw_connection()
            driver = raw.driver_connection  # type: ignore[assignment]
        reusable = False
        try:
            yield conn.dialect, driver
            reusable = True
        except DBAPIError:
            reusable = True  # the database refused a statement; the work rolled back
            raise
        finally:
            if reusable and not self._closed and len(self._shelf) < self.keep:
                self._shelf.append((conn, driver))
            else:
                await conn.close()

    async def aclose(self) -> None:
        self._closed = True
        shelf, self._shelf = self._shelf, []
        for conn, _ in shelf:
            await conn.close()
