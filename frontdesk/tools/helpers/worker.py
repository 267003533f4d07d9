"""The in-process helper worker: a few asyncio tasks that claim queued executions and run them.

This is the embedded default (no broker). Executions are claimed with a conditional update, so
several processes may run workers on one database; an execution queued by a process without a
worker (the stdio MCP server, the CLI) is picked up by any server's worker on its next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

from frontdesk.storage.db import Database
from frontdesk.storage.helper_executions import claim_next, fail_stale_runs
from frontdesk.storage.ids import utcnow
from frontdesk.tools.helpers.base import HelperTypes
from frontdesk.tools.helpers.catalog import HELPER_TYPES
from frontdesk.tools.helpers.net import OutboundHttp
from frontdesk.tools.helpers.runner import run_execution

log = logging.getLogger(__name__)
SWEEP_EVERY_SECONDS = 60.0
STALE_GRACE_SECONDS = 30.0


class ExecutionWorker:
    def __init__(
        self,
        db: Database,
        *,
        types: HelperTypes = HELPER_TYPES,
        http: OutboundHttp | None = None,
        concurrency: int = 2,
        poll_seconds: float = 1.0,
        timeout_seconds: float = 60.0,
    ) -> None:
        self.db = db
        self.types = types
        self.http = http or OutboundHttp()
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.timeout_seconds = timeout_seconds
        self._tasks: list[asyncio.Task[None]] = []
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return bool(self._tasks)

    async def start(self) -> None:
        """Fail runs a stopped process left `running`, then start the consumers (queued executions,
        including ones left by a crash, are simply run)."""
        if self._tasks:
            return
        await self.sweep()
        self._stopping = False
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._consume(), name=f"helper-worker-{i}") for i in range(self.concurrency)
        ]

    async def stop(self, grace_seconds: float = 5.0) -> None:
        """Let running executions finish for up to `grace_seconds`, then cancel them (they are
        recorded as failed)."""
        if not self._tasks:
            return
        self._stopping = True
        self.wake()
        _, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def wake(self) -> None:
        """Look for queued executions now. Safe to call from any thread."""
        if self._loop is not None and self._wake is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def sweep(self) -> int:
        """Mark failed the executions `running` for longer than any run may last."""
        cutoff = utcnow() - timedelta(seconds=self.timeout_seconds + STALE_GRACE_SECONDS)
        async with self.db.session() as session:
            failed = await fail_stale_runs(session, cutoff)
        if failed:
            log.warning("marked %d interrupted helper executions failed", failed)
        return failed

    async def run_pending(self) -> int:
        """Run queued executions until none is left; returns how many ran."""
        ran = 0
        while await self.run_next():
            ran += 1
        return ran

    async def run_next(self) -> bool:
        async with self.db.session() as session:
            execution_id = await claim_next(session)
        if execution_id is None:
            return False
        await run_execution(self.db, self.types, self.http, execution_id, budget_seconds=self.timeout_seconds)
        return True

    async def _consume(self) -> None:
        assert self._wake is not None
        last_sweep = time.monotonic()
        while not self._stopping:
            try:
                if await self.run_next():
                    continue
                if time.monotonic() - last_sweep > SWEEP_EVERY_SECONDS:
                    last_sweep = time.monotonic()
                    await self.sweep()
            except Exception:  # the database hiccuped: log it, keep the worker alive, retry on the next poll
                log.exception("helper worker could not claim or record an execution")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
