"""What fires and runs scheduled jobs.

A run is the job kind `scheduled_run` (payload `{schedule_id}`); `ScheduledRuns.run` loads the
schedule and its owner and calls the task type's function (`TaskFn`: `agent_task`, `helper_run`,
`data_sync`, `insight_report`; `agent_task` comes from the agent layer) as the owner, on channel
`scheduler`. When it ends, the schedule records `last_status` / `last_error` and the owner gets a
notification with the result.

Exactly once with several instances: `Scheduler.tick` claims a due run by moving the row's
`next_run` on with a conditional update, in the same write transaction that adds the run's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.config import Settings
from frontdesk.errors import Invalid
from frontdesk.storage import jobs as job_rows
from frontdesk.storage import schedules as rows
from frontdesk.storage.accounts import load_identity
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.job_models import Job, ScheduledJob
from frontdesk.storage.notifications import notify
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs.queue import JobQueue, JobRun
from frontdesk.tools.jobs.schedule import RUN_KIND, TaskFn, next_run

log = logging.getLogger(__name__)


class ScheduledRuns:
    """The `scheduled_run` job handler and its end listener (records the end, notifies the owner)."""

    def __init__(self, db: Database, settings: Settings, tasks: dict[str, TaskFn]) -> None:
        self.db, self.settings, self.tasks = db, settings, tasks

    def install(self, queue: JobQueue) -> None:
        queue.register(RUN_KIND, self.run)
        queue.on_finish(self.finished)

    async def run(self, job: JobRun) -> dict[str, Any]:
        schedule_id = job.payload["schedule_id"]
        row = await self.db.run_write(lambda s: rows.record_start(s, schedule_id, job.job_id))
        if row is None:
            raise Invalid("The scheduled job was deleted")
        fn = self.tasks.get(row.task_type)
        if fn is None:
            raise Invalid(f"Task type {row.task_type} cannot run in this process")
        async with self.db.session() as s:
            principal = (await load_identity(s, row.user_id, row.account_id)).principal("scheduler")
        result = await fn(ToolContext(principal, self.db, self.settings), dict(row.task_params))
        return {"schedule_id": row.id, "task_type": row.task_type} | result

    async def finished(self, job: Job, status: str, result: dict[str, Any] | None, error: str | None) -> None:
        if job.kind != RUN_KIND:
            return
        schedule_id = job.payload.get("schedule_id", "")

        async def write(s: AsyncSession) -> None:
            await rows.record_end(s, schedule_id, status, error)
            row = await s.get(ScheduledJob, schedule_id)
            name = row.name if row is not None else schedule_id
            summary = (result or {}).get("summary") or error or "done"
            await notify(
                s,
                account_id=job.account_id or "",
                user_ids=[job.user_id or ""],
                type_="system",
                title=f"Scheduled job {name!r} {status}",
                message=str(summary)[:2000],
                data={"jobId": schedule_id, "taskId": job.id, "status": status}
                | ({"result": result} if result else {}),
                preference="execution_failures" if status == "failed" else "ai_insights",
            )

        await self.db.run_write(write)


class Scheduler:
    """Fires due schedules: every `tick_seconds`, each due row is claimed (its `next_run` moved on)
    and its run queued in one write transaction."""

    def __init__(self, db: Database, queue: JobQueue, tick_seconds: float = 15.0) -> None:
        self.db, self.queue, self.tick_seconds = db, queue, tick_seconds
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def tick(self) -> list[str]:
        """Fire every due schedule this instance wins; returns the queued job ids."""
        now = utcnow()
        async with self.db.session() as s:
            due = await rows.due(s, now)
        fired = []
        for row in due:

            async def write(s: AsyncSession, row: ScheduledJob = row) -> str | None:
                following = next_run(row.cron_expression, row.timezone, after=now)
                if not await rows.claim_run(s, row, following):
                    return None
                job = job_rows.add_job(
                    s,
                    kind=RUN_KIND,
                    payload={"schedule_id": row.id},
                    account_id=row.account_id,
                    user_id=row.user_id,
                    queue=self.queue.queue,
                    budget_seconds=600,
                )
                return job.id

            job_id = await self.db.run_write(write)
            if job_id is not None:
                fired.append(job_id)
                await self.queue.kick(job_id)
        return fired

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.sleep(self.tick_seconds)
