"""MIA async insights: `POST /api/insights/{grow|optimize|protect}/async` -> `{task_id}`,
`GET /api/insights/task/{id}` (status, progress, result), `DELETE` cancels — see
`tools/jobs/insight_tasks.py`."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.base import Public, Timestamp
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs import insight_tasks

router = APIRouter(prefix="/api/insights", tags=["insights"])


class InsightTaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str | None = Field(default=None, max_length=200, description="Accepted, not used.")
    date_range: Literal["7_days", "14_days", "30_days", "90_days"] = "30_days"
    platforms: list[Literal["google_ads", "meta", "meta_ads", "ga4"]] | None = Field(
        default=None, max_length=4
    )


class InsightTaskQueued(Public):
    success: bool
    task_id: str
    status: Literal["pending"]
    message: str


class InsightTaskStatus(Public):
    task_id: str
    status: Literal["pending", "processing", "completed", "failed", "cancelled"]
    progress: int
    message: str
    result: dict[str, Any] | None
    created_at: Timestamp
    completed_at: Timestamp | None


@router.post("/{lens}/async", response_model=InsightTaskQueued, responses=errors(400, 401, 403, 404, 422))
async def start_task(
    lens: insight_tasks.Lens, body: InsightTaskIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Queue the analysis; poll `GET /api/insights/task/{task_id}`."""
    assert services.background is not None
    ctx = ToolContext(principal, services.db, services.settings)
    return await insight_tasks.start(ctx, services.background.queue, lens, body.date_range, body.platforms)


@router.get("/task/{task_id}", response_model=InsightTaskStatus, responses=errors(401, 404))
async def task_status(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The state of an async insight task (queued, running, completed or failed) and, when done,
    its result."""
    return await insight_tasks.status(ToolContext(principal, services.db, services.settings), task_id)


@router.delete("/task/{task_id}", response_model=InsightTaskStatus, responses=errors(401, 404))
async def cancel_task(task_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Cancel (best effort): a queued or running task becomes `cancelled`; an ended one is unchanged."""
    assert services.background is not None
    ctx = ToolContext(principal, services.db, services.settings)
    return await insight_tasks.cancel(ctx, services.background.queue, task_id)
