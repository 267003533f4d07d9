"""Scheduled jobs (Mezzofy `/scheduler/jobs`): cron checked and next runs computed by `croniter` in
the job's time zone (15 minutes apart at least), task parameters checked per task type, the
per-user cap of active jobs, CRUD and "run now". What fires and runs them is `scheduler.py`.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, RateLimited
from frontdesk.storage import schedules as rows
from frontdesk.storage.account_settings import account_timezone
from frontdesk.storage.ids import iso, utcnow
from frontdesk.storage.job_models import ScheduledJob
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs.queue import JobQueue

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
    agent: str | None = Field(
        default=None,
        max_length=64,
        description="A department the router prefers (it may still pick another).",
    )
    deliver_to: Literal["sms", "teams"] | None = Field(
        default=None,
        description="Also send the reply to the owner: `sms` texts their linked phone through the SMS "
        "door; `teams` writes in their latest personal chat with the bot (they must have messaged it once).",
    )


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
    """`body`: name, description, cron, timezone (default the account's, else UTC), task_type,
    task_params, is_active."""
    ctx.require("chat")
    tz = body.get("timezone")
    if not tz:
        async with ctx.db.session() as s:
            tz = await account_timezone(s, ctx.principal.account_id) or "UTC"
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
        row = rows.add_schedule(s, ctx.principal, fields)
        rows.record_change(s, ctx.principal, "create", row, {})
        return row

    return public(await ctx.db.run_write(write))


async def update_schedule(ctx: ToolContext, schedule_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change any of name, description, cron, timezone, task_type, task_params, is_active."""
    ctx.require("chat")

    async def write(s: AsyncSession) -> ScheduledJob:
        row = await rows.get_schedule(s, ctx.principal, schedule_id)
        before = rows.snapshot(row)
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
        rows.record_change(s, ctx.principal, "update", row, before)
        return row

    return public(await ctx.db.run_write(write))


async def delete_schedule(ctx: ToolContext, schedule_id: str) -> None:
    async def write(s: AsyncSession) -> None:
        row = await rows.get_schedule(s, ctx.principal, schedule_id)
        rows.record_change(s, ctx.principal, "delete", row, rows.snapshot(row))
        await s.delete(row)

    await ctx.db.run_write(write)


async def run_now(ctx: ToolContext, queue: JobQueue, schedule_id: str) -> dict[str, Any]:
    """Queue a run at once (the cron is unchanged): `{job_id, task_id, status: "queued"}`."""
    async with ctx.db.session() as s:
        row = await rows.get_schedule(s, ctx.principal, schedule_id)
    task_id = await queue.submit(
        RUN_KIND, {"schedule_id": row.id}, account_id=row.account_id, user_id=row.user_id, budget_seconds=600
    )
    return {"job_id": row.id, "task_id": task_id, "status": "queued"}
