"""One-trip write transactions that arrive together committed together (SQLite).

    result = await group.run(fn)     # `Database.run_write_tx` on the embedded store

Why: on SQLite every write of the process takes one lock in turn (`Database._write_lock`). Under
load the write transactions of many turns queue for it, and each one costs a trip to the
connection's thread, a `BEGIN IMMEDIATE`, a `COMMIT` (its pages appended to the WAL) and a wake-up
of the waiting task before the lock passes on. Here the functions that queue while a write runs
are taken together by a writer task once the lock is free: one trip, one transaction, each
function inside a savepoint of its own, one commit. Alone (the usual case without load: nothing
writing, the lock free) a function runs in its caller's own task exactly as before: `BEGIN
IMMEDIATE`, the function, `COMMIT`; what queues behind it is written by the writer task after it.
That lone write runs on the loop's own thread (`storage.inline`), on the connection's
thread only when another process holds SQLite's write lock.

What a caller sees does not change:
- its result or its own exception: a function that fails is rolled back to its savepoint alone
  (the others of the batch commit), and its exception reaches its caller;
- success only once the commit is done; if the batch as a whole fails (the `BEGIN` or the
  `COMMIT`, e.g. another process holds SQLite's lock past the busy timeout) every caller of it
  gets that error, and `Database` retries each one as before;
- functions of one batch run in the order they arrived, each seeing the writes before it, as
  they would back to back;
- a caller cancelled while it waits for the lock leaves the queue (its function never runs); one
  cancelled while its function is in a batch waits for the batch to end, as a cancelled write on
  the thread always did (the function may have been committed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from frontdesk.storage import inline, write_tx
from frontdesk.storage.hop_pool import HopPool

Fn = Callable[[write_tx.Tx], Any]


class GroupCommit:
    def __init__(self, lock: asyncio.Lock, hops: HopPool) -> None:
        self._lock = lock
        self._hops = hops
        self.inline_runs = 0  # of `batches`, those committed on the loop's thread
        self._pending: list[tuple[Fn, asyncio.Future[Any]]] = []
        self._busy = False  # a write runs: in its caller's task (alone) or in the writer task
        self._writer: asyncio.Task[None] | None = None  # (held: the loop keeps tasks weakly)
        self.batches = 0  # transactions committed (tests, benchmarks)

    async def run(self, fn: Fn) -> Any:
        """`fn(tx)` in a write transaction, committed (alone or with others queued beside it)."""
        if not self._busy and not self._lock.locked():
            return await self._alone(fn)
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        entry = (fn, done)
        self._pending.append(entry)
        if not self._busy:
            self._start_writer()
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            if entry in self._pending:  # not taken into a batch yet: it never runs
                self._pending.remove(entry)
            elif not done.done():
                await asyncio.wait({done})  # in a batch: it ends first, its outcome not undone
            raise

    async def _alone(self, fn: Fn) -> Any:
        """Nothing else writing: `fn` in the caller's own task (no writer task), on the loop's
        thread (`storage.inline`), or on the connection's thread when another process holds
        SQLite's lock; what queues meanwhile is written by the writer task after it."""
        self._busy = True
        try:
            async with self._lock, self._hops.connection() as (dialect, driver):
                result = inline.run_write(driver._conn, dialect, fn)
                if result is not inline.DEFERRED:
                    self.batches += 1
                    self.inline_runs += 1
                    return result
                call = driver.start(write_tx.run_in_one_hop, dialect, fn)
                try:
                    result = await asyncio.shield(call)
                except asyncio.CancelledError:
                    await asyncio.wait({call})  # the thread finishes it: keep the lock till then
                    raise
            self.batches += 1
            return result
        finally:
            self._busy = False
            if self._pending:
                self._start_writer()

    def _start_writer(self) -> None:
        self._busy = True
        self._writer = asyncio.create_task(self._write(), name="group-commit")

    async def _write(self) -> None:
        try:
            while self._pending:
                async with self._lock, self._hops.connection() as (dialect, driver):
                    batch, self._pending = self._pending, []  # all that queued for the lock
                    await self._commit(driver, dialect, batch)
        finally:  # (the task cancelled at shutdown: nobody is left waiting forever)
            self._busy = False
            for _, done in self._pending:
                if not done.done():
                    done.set_exception(asyncio.CancelledError())
            self._pending = []

    async def _commit(self, driver: Any, dialect: Any, batch: list[tuple[Fn, asyncio.Future[Any]]]) -> None:
        fns = [fn for fn, _ in batch]
        try:
            outcomes = await driver.transaction(write_tx.run_batch_in_one_hop, dialect, fns)
        except BaseException as e:  # the transaction as a whole: every caller hears of it
            for _, done in batch:
                if not done.done():
                    done.set_exception(e if isinstance(e, Exception) else asyncio.CancelledError())
            if not isinstance(e, Exception):
                raise
            return
        self.batches += 1
        for (_, done), (ok, value) in zip(batch, outcomes, strict=True):
            if done.done():
                continue
            if ok:
                done.set_result(value)
            else:
                done.set_exception(value)
