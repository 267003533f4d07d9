"""Helper executions run on the job system (`tools/jobs/queue.py`).

Queuing an execution commits, in the same transaction, a job of kind `helper_execution` on the
server's job queue (`storage/helper_executions.py::queue_execution`). Whichever process runs that
queue's jobs — this server's in-memory taskiq broker, or `frontdesk worker`s through Redis — claims
the execution with a conditional update (so it runs once, however many processes share the store)
and runs it. A process that runs no jobs (the stdio MCP server, the CLI) only writes the rows; any
server's dispatcher finds the job.

`ExecutionWorker` is what the job handler runs, plus the executions' own housekeeping: at start
(and every minute) executions a stopped process left `running` are marked failed, and queued
executions without a job (queued before this version) get one. `run_pending()` runs queued
executions here and now, without the queue (tests and one-off maintenance).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from frontdesk.storage.db import Database
from frontdesk.storage.helper_executions import (
    HELPER_JOB,
    JOB_GRACE_SECONDS,
    adopt_orphans,
    claim,
    claim_next,
    fail_stale_runs,
)
from frontdesk.storage.ids import utcnow
from frontdesk.tools.helpers.base import HelperTypes
from frontdesk.tools.helpers.catalog import HELPER_TYPES
from frontdesk.tools.helpers.net import OutboundHttp
from frontdesk.tools.helpers.runner import run_execution
from frontdesk.tools.jobs.queue import JobQueue, JobRun

log = logging.getLogger(__name__)
SWEEP_EVERY_SECONDS = 60.0
STALE_GRACE_SECONDS = 30.0


def job_budget(timeout_seconds: float) -> float:
    return timeout_seconds + JOB_GRACE_SECONDS


class ExecutionWorker:
    def __init__(
        self,
        db: Database,
        *,
        types: HelperTypes = HELPER_TYPES,
        http: OutboundHttp | None = None,
        timeout_seconds: float = 60.0,
        queue: str = "default",
    ) -> None:
        self.db = db
        self.types = types
        self.http = http or OutboundHttp()
        self.timeout_seconds = timeout_seconds
        self.queue = queue
        self._sweeper: asyncio.Task[None] | None = None

    def install(self, jobs: JobQueue) -> None:
        """Run `helper_execution` jobs of `jobs`' queue."""
        self.queue = jobs.queue
        jobs.register(HELPER_JOB, self.run_job)

    @property
    def running(self) -> bool:
        return self._sweeper is not None

    async def start(self) -> None:
        """Fail runs a stopped process left `running`, give orphaned queued executions a job, and
        keep sweeping every minute."""
        if self._sweeper is not None:
            return
        await self.sweep()
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="helper-executions-sweep")

    async def stop(self) -> None:
        if self._sweeper is None:
            return
        self._sweeper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sweeper
        self._sweeper = None

    async def run_job(self, run: JobRun) -> dict[str, Any]:
        """The job handler: claim the execution named by the job and run it to its end."""
        execution_id = str(run.payload["execution_id"])
        async with self.db.session() as session:
            claimed = await claim(session, execution_id)
        if not claimed:  # run (or being run) by another process: nothing to do
            return {"execution_id": execution_id, "ran": False}
        await run_execution(self.db, self.types, self.http, execution_id, budget_seconds=self.timeout_seconds)
        return {"execution_id": execution_id, "ran": True}

    async def sweep(self) -> tuple[int, int]:
        """Mark failed the executions `running` for longer than any run may last, and queue a job
        for queued executions that have none. Returns (failed, adopted)."""
        cutoff = utcnow() - timedelta(seconds=self.timeout_seconds + STALE_GRACE_SECONDS)
        async with self.db.session() as session:
            failed = await fail_stale_runs(session, cutoff)
            adopted = await adopt_orphans(session, self.queue, job_budget(self.timeout_seconds))
        if failed:
            log.warning("marked %d interrupted helper executions failed", failed)
        if adopted:
            log.info("queued jobs for %d helper executions that had none", adopted)
        return failed, adopted

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_SECONDS)
            try:
                await self.sweep()
            except Exception:  # the store hiccuped: sweep again next time
                log.exception("helper execution sweep failed")

    async def run_pending(self) -> int:
        """Run queued executions here until none is left (no queue); returns how many ran."""
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
