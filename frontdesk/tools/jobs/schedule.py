"""Scheduled jobs (Mezzofy `/scheduler/jobs`): cron checked and next runs computed by `croniter` in
the job's time zone, the per-user cap, and the `Scheduler` that fires due runs onto the job queue.

A run is the job kind `scheduled_run` (payload `{schedule_id}`); its handler loads the schedule and
its owner, and calls the task type's function (`ScheduledTasks`: `agent_task`, `helper_run`,
`data_sync`, `insight_report`; `agent_task` is added by the agent layer) as the owner, with channel
`scheduler`. When it ends, the schedule records `last_status` / `last_error` and the owner gets a
notification with the result.

Exactly once with several instances: the scheduler claims a due run by moving the row's `next_run`
on with a conditional update, in the same write transaction that adds the run's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.config import Settings
from frontdesk.errors import Invalid, RateLimited
from frontdesk.storage import jobs as job_rows
from frontdesk.storage import schedules as rows
from frontdesk.storage.accounts import load_identity
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso, utcnow
from frontdesk.storage.job_models import Job, ScheduledJob
from frontdesk.storage.notifications import notify
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs.queue import JobQueue, JobRun

log = logging.getLogger(__name__)
MAX_ACTIVE_PER_USER = 10
MIN_INTERVAL = timedelta(minutes=15)
CHECKED_RUNS = 200  # consecutive runs compared for the minimum interval
RUN_KIND = "scheduled_run"
TaskType = Literal["agent_task", "helper_run", "data_sync", "insight_report"]
TaskFn = Callable[[ToolContext, dict[str, Any]], Awaitable[dict[str, Any]]]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentTaskParams(_Params):
    message: str = Field(min_length=1, max_length=4000)
    agent: str | None = Field(default=None, max_length=64, description="Recorded; the router still routes.")


class HelperRunParams(_Params):
    helper_id: str = Field(max_length=64)
    contact_id: str | None = Field(default=None, max_length=64)
    input: dict[str, Any] | None = None


class DataSyncParams(_Params):
    connection_id: str | None = Field(default=None, max_length=64)


class InsightReportParams(_Params):
    date_range: Literal["7_days", "14_days", "30_days", "90_days"] = "7_days"
    platforms: list[Literal["google_ads", "meta_ads", "ga4"]] | None = None


PARAMS: dict[str, type[_Params]] = {
    "agent_task": AgentTaskParams,
    "helper_run": HelperRunParams,
    "data_sync": DataSyncParams,
    "insight_report": InsightReportParams,
}


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise Invalid(f"schedule.timezone: unknown time zone {name!r}") from e


def next_run(cron: str, tz: str, after: datetime | None = None) -> datetime:
    """The first run after `after` (default now), in UTC."""
    start = (after or utcnow()).astimezone(zone(tz))
    return croniter(cron, start).get_next(datetime).astimezone(ZoneInfo("UTC"))


def check_cron(cron: str, tz: str) -> None:
    """400 for a malformed expression, an unknown zone, or runs closer than 15 minutes."""
    if not croniter.is_valid(cron) or len(cron.split()) != 5:
        raise Invalid(f"schedule.cron: {cron!r} is not a valid 5-field cron expression")
    it = croniter(cron, utcnow().astimezone(zone(tz)))
    runs = [it.get_next(datetime) for _ in range(CHECKED_RUNS)]
    gaps = [b - a for a, b in itertools.pairwise(runs)]
    if gaps and min(gaps) < MIN_INTERVAL:
        minutes = int(min(gaps).total_seconds() // 60)
        raise Invalid(
            f"schedule.cron: runs must be at least 15 minutes apart (this one runs every {minutes} min)"
        )


def check_params(task_type: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return PARAMS[task_type].model_validate(params).model_dump(exclude_none=True)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise Invalid(f"task_params.{where}: {first['msg']}") from e


def public(row: ScheduledJob) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "description": row.description,
        "cron_expression": row.cron_expression,
        "timezone": row.timezone,
        "task_type": row.task_type,
        "task_params": row.task_params,
        "is_active": row.is_active,
        "user_id": row.user_id,
        "last_run": iso(row.last_run),
        "next_run": iso(row.next_run),
        "last_status": row.last_status,
        "last_error": row.last_error,
        "last_task_id": row.last_task_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


async def _check_cap(s: AsyncSession, user_id: str, exclude: str | None = None) -> None:
    if await rows.count_active(s, user_id, exclude) >= MAX_ACTIVE_PER_USER:
        raise RateLimited(f"At most {MAX_ACTIVE_PER_USER} active scheduled jobs per user", retry_after=3600)


async def create_schedule(ctx: ToolContext, body: dict[str, Any]) -> dict[str, Any]:
    """`body`: name, description, cron, timezone (default UTC), task_type, task_params, is_active."""
    ctx.require("chat")
    tz = body.get("timezone") or "UTC"
    check_cron(body["cron"], tz)
    params = check_params(body["task_type"], body.get("task_params") or {})
    active = body.get("is_active", True)

    async def write(s: AsyncSession) -> ScheduledJob:
        if active:
            await _check_cap(s, ctx.principal.user_id)
        fields = {
            "name": body["name"],
            "description": body.get("description"),
            "cron_expression": body["cron"],
        }
        fields |= {"timezone": tz, "task_type": body["task_type"], "task_params": params, "is_active": active}
        fields["next_run"] = next_run(body["cron"], tz) if active else None
        return rows.add_schedule(s, ctx.principal, fields)

    return public(await ctx.db.run_write(write))


async def update_schedule(ctx: ToolContext, schedule_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change any of name, description, cron, timezone, task_type, task_params, is_active."""
    ctx.require("chat")

    async def write(s: AsyncSession) -> ScheduledJob:
        row = await rows.get_schedule(s, ctx.principal, schedule_id)
        cron = changes.get("cron") or row.cron_expression
        tz = changes.get("timezone") or row.timezone
        check_cron(cron, tz)
        task_type = changes.get("task_type") or row.task_type
        if "task_params" in changes or "task_type" in changes:
            row.task_params = check_params(task_type, changes.get("task_params") or row.task_params)
        active = changes.get("is_active", row.is_active)
        if active and not row.is_active:
            await _check_cap(s, row.user_id, exclude=row.id)
        row.name = changes.get("name") or row.name
        if "description" in changes:
            row.description = changes["description"]
        row.cron_expression, row.timezone, row.task_type, row.is_active = cron, tz, task_type, active
        row.next_run = next_run(cron, tz) if active else None
        row.updated_at = utcnow()
        return row

    return public(await ctx.db.run_write(write))


async def delete_schedule(ctx: ToolContext, schedule_id: str) -> None:
    async def write(s: AsyncSession) -> None:
        await s.delete(await rows.get_schedule(s, ctx.principal, schedule_id))

    await ctx.db.run_write(write)


async def run_now(ctx: ToolContext, queue: JobQueue, schedule_id: str) -> dict[str, Any]:
    """Queue a run at once (the cron is unchanged): `{job_id, task_id, status: "queued"}`."""
    async with ctx.db.session() as s:
        row = await rows.get_schedule(s, ctx.principal, schedule_id)
    task_id = await queue.submit(
        RUN_KIND, {"schedule_id": row.id}, account_id=row.account_id, user_id=row.user_id, budget_seconds=600
    )
    return {"job_id": row.id, "task_id": task_id, "status": "queued"}


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
                preference="execution_failures" if status == "failed" else None,
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
