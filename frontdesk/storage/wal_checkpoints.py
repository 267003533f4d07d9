"""SQLite's WAL checkpoints taken off the path of a write, for the server's store.

In WAL mode a commit appends its pages to the `-wal` file; a checkpoint copies them back into the
database file and, with `synchronous=NORMAL`, syncs it to disk. SQLite lets the commit that takes
the WAL past a threshold run that checkpoint itself (`wal_autocheckpoint`, 1,000 pages by
default), so a turn every few dozen pays for copying megabytes and an `fsync` while it holds the
process's write lock: on the bench machine a commit took 0.24 ms on average that way and 0.15 ms
without (a turn writes ~25 pages in two commits; issue 15).

`WalCheckpoints` runs `PRAGMA wal_checkpoint(PASSIVE)` every `INTERVAL_SECONDS` on a connection
of its own (its own thread), and the store's connections raise the threshold to
`db.WAL_AUTOCHECKPOINT_PAGES`, so the WAL is copied back long before a commit would reach it.
PASSIVE never waits for readers or writers and takes no lock they wait for; a WAL copied back in
full is started again from its beginning by the next writer. Nothing about durability changes
(the same checkpoints, taken elsewhere); if writes ever outpace it, commits checkpoint as before,
at the threshold. Other processes on the same file (`frontdesk` commands) checkpoint at the
threshold themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiosqlite

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.1  # the bench's sequential turns write ~8,000 pages a second: ~800 a pass


class WalCheckpoints:
    def __init__(self, path: str, interval: float = INTERVAL_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self.taken = 0  # checkpoints run (tests, benchmarks)
        self._conn: aiosqlite.Connection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        conn = aiosqlite.connect(self.path)
        conn._thread.daemon = True  # as the engine's connections: a forgotten one does not hang exit
        self._conn = await conn
        self._task = asyncio.create_task(self._run(), name="wal-checkpoints")

    async def _run(self) -> None:
        assert self._conn is not None
        while True:
            await asyncio.sleep(self.interval)
            try:
                async with self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)") as cursor:
                    await cursor.fetchall()  # (a statement left open would pin the WAL)
                self.taken += 1
            except aiosqlite.Error:  # e.g. the disk is full: commits checkpoint as before
                log.warning("a background WAL checkpoint failed", exc_info=True)

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None
