"""`/api/v1/analytics/*` (Services API shapes): daily and hourly stats and the metric catalog.
Routes translate only; the work is in `tools.analytics`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.analytics import DailyStats, HourlyStats, MetricCatalog
from frontdesk.tools import analytics
from frontdesk.tools.analytics import MAX_DAYS, MAX_HOURS, MetricType
from frontdesk.tools.base import ToolContext
from frontdesk.tools.search import MessageRole
from frontdesk.types import Channel

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])
Role = MessageRole | None
Department = Annotated[str | None, Query(max_length=32)]


def _ctx(services: ServicesDep, principal: CurrentPrincipal) -> ToolContext:
    return ToolContext(principal, services.db, services.settings)


@router.get(
    "/daily/",
    response_model=DailyStats,
    response_model_exclude_unset=True,  # `count` and `average` only for metrics that count
    responses=errors(400, 401, 403, 422),
)
async def daily(
    principal: CurrentPrincipal,
    services: ServicesDep,
    metric_type: MetricType = "messages_sent",
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 30,
    channel: Channel | None = None,
    role: Role = None,
    department: Department = None,
) -> dict[str, Any]:
    """A daily series of one message metric over the last `days` days, narrowed by channel, role or
    department (the Services API's daily analytics)."""
    return await analytics.daily_stats(
        _ctx(services, principal),
        metric_type=metric_type,
        days=days,
        channel=channel,
        role=role,
        department=department,
    )


@router.get(
    "/hourly/",
    response_model=HourlyStats,
    response_model_exclude_unset=True,
    responses=errors(400, 401, 403, 422),
)
async def hourly(
    principal: CurrentPrincipal,
    services: ServicesDep,
    metric_type: MetricType = "messages_sent",
    hours: Annotated[int, Query(ge=1, le=MAX_HOURS)] = 24,
    channel: Channel | None = None,
    role: Role = None,
    department: Department = None,
) -> dict[str, Any]:
    """An hourly series of one message metric over the last `hours` hours, narrowed by channel, role or
    department."""
    return await analytics.hourly_stats(
        _ctx(services, principal),
        metric_type=metric_type,
        hours=hours,
        channel=channel,
        role=role,
        department=department,
    )


@router.get("/metrics/", response_model=MetricCatalog, responses=errors(401))
async def metrics(principal: CurrentPrincipal) -> dict[str, Any]:
    """The metrics `daily/` and `hourly/` understand, what their `count` counts, how to slice them."""
    catalog = analytics.metric_catalog()
    return {"success": True, "count": len(catalog), "data": catalog}
