"""`/scheduler/jobs` (Mezzofy): a user's scheduled jobs and `run` now — see `tools/jobs/schedule.py`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.jobs import (
    RunQueued,
    ScheduledJobCreate,
    ScheduledJobList,
    ScheduledJobPublic,
    ScheduledJobUpdate,
)
from frontdesk.storage import schedules as rows
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs import schedule

router = APIRouter(prefix="/scheduler/jobs", tags=["scheduler"])


@router.get("", response_model=ScheduledJobList, responses=errors(401))
async def list_jobs(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The current user's scheduled jobs."""
    async with services.db.session() as s:
        jobs = [schedule.public(r) for r in await rows.list_schedules(s, principal)]
    return {"jobs": jobs, "count": len(jobs)}


@router.post(
    "", status_code=201, response_model=ScheduledJobPublic, responses=errors(400, 401, 403, 422, 429)
)
async def create_job(
    body: ScheduledJobCreate, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """At most 10 active jobs per user (429); runs at least 15 minutes apart (400)."""
    fields = body.model_dump(exclude={"schedule"}) | {
        "cron": body.schedule.cron,
        "timezone": body.schedule.timezone,
    }
    return await schedule.create_schedule(ToolContext(principal, services.db, services.settings), fields)


@router.get("/{job_id}", response_model=ScheduledJobPublic, responses=errors(401, 404))
async def get_job(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """One scheduled job of the account: its schedule and next run."""
    async with services.db.session() as s:
        return schedule.public(await rows.get_schedule(s, principal, job_id))


@router.put("/{job_id}", response_model=ScheduledJobPublic, responses=errors(400, 401, 403, 404, 422, 429))
async def update_job(
    job_id: str, body: ScheduledJobUpdate, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Owner or admin only (others: 404). Only the fields given change."""
    changes = body.model_dump(exclude_unset=True, exclude={"schedule"})
    if body.schedule is not None:
        changes |= {"cron": body.schedule.cron, "timezone": body.schedule.timezone}
    ctx = ToolContext(principal, services.db, services.settings)
    return await schedule.update_schedule(ctx, job_id, changes)


@router.delete("/{job_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 404))
async def delete_job(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> Response:
    """Owner or admin only (others: 404)."""
    await schedule.delete_schedule(ToolContext(principal, services.db, services.settings), job_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{job_id}/run", response_model=RunQueued, responses=errors(401, 404))
async def run_job(job_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Queue a run now (the schedule is unchanged); `task_id` is the run's job id."""
    assert services.background is not None
    ctx = ToolContext(principal, services.db, services.settings)
    return await schedule.run_now(ctx, services.background.queue, job_id)
