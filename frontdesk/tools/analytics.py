"""Analytics over the conversation store and the CRM (Services API daily/hourly stats, CRM MVP
dashboard). Figures are account-wide aggregates: they count messages but never show their text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk import clock
from frontdesk.errors import Invalid
from frontdesk.storage import analytics as store
from frontdesk.storage.crm import pipeline_by_status
from frontdesk.storage.ids import iso, utcnow
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry
from frontdesk.tools.search import MessageRole
from frontdesk.types import Channel

MAX_DAYS = 366
MAX_HOURS = 168
MetricType = Literal[
    "messages_sent", "tokens_used", "conversations_started", "contacts_created", "leads_created"
]
MetricArg = Annotated[MetricType, Field(description="What to count; see GET /api/v1/analytics/metrics/.")]
ChannelArg = Annotated[
    Channel | None, Field(description="Only this door (message and conversation metrics).")
]
RoleArg = Annotated[MessageRole | None, Field(description="Only this role (message metrics).")]
DepartmentArg = Annotated[
    str | None,
    Field(max_length=32, description="Only this department, e.g. sales (message/conversation metrics)."),
]


def metric_catalog() -> list[dict[str, Any]]:
    """The metrics `daily_stats` and `hourly_stats` understand."""
    return [
        {
            "id": m.id,
            "label": m.label,
            "description": m.description,
            "type": m.type,
            "count_of": m.count_of,
            "dimensions": sorted(m.dimensions),
        }
        for m in store.METRICS.values()
    ]


def _filters(metric: store.Metric, **given: str | None) -> dict[str, str]:
    filters = {k: v for k, v in given.items() if v}
    for name in filters:
        if name not in metric.dimensions:
            raise Invalid(f"{metric.id} cannot be filtered by {name}")
    return filters


def _point(total: int, count: int | None, metric: store.Metric) -> dict[str, Any]:
    point: dict[str, Any] = {"total": total}
    if metric.count_of is not None:
        n = count or 0
        point |= {"count": n, "average": round(total / n, 2) if n else 0.0}
    return point


async def _stats(
    ctx: ToolContext,
    metric_type: str,
    keys: list[str],
    start: datetime,
    end: datetime,
    grain: store.Grain,
    **f: Any,
) -> tuple[store.Metric, list[tuple[str, dict[str, Any]]], int, dict[str, Any], dict[str, str]]:
    metric = store.METRICS[metric_type]
    filters = _filters(metric, **f)
    acc = ctx.principal.account_id
    async with ctx.db.session() as s:
        found = await store.series(s, metric, acc, start, end, grain, filters)
        by = await store.breakdown(s, metric, acc, start, end, filters)
    points = [(k, _point(*found.get(k, (0, 0)), metric)) for k in keys]
    return metric, points, sum(p["total"] for _, p in points), by, filters


async def daily_stats(
    ctx: ToolContext,
    metric_type: MetricArg = "messages_sent",
    days: Annotated[
        int, Field(ge=1, le=MAX_DAYS, description=f"Days back, today included (1-{MAX_DAYS}).")
    ] = 30,
    channel: ChannelArg = None,
    role: RoleArg = None,
    department: DepartmentArg = None,
) -> dict[str, Any]:
    """Daily totals of a metric (messages, tokens, conversations, contacts, leads) over the last N days.

    Every day of the period is listed (zeros included), with a breakdown of the whole period by
    channel, role and department (message metrics) or source and status (leads)."""
    ctx.require("can_view_analytics")
    today = clock.today()
    first = today - timedelta(days=days - 1)
    keys = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    start = datetime.combine(first, datetime.min.time(), UTC)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
    metric, points, total, by, filters = await _stats(
        ctx, metric_type, keys, start, end, "day", channel=channel, role=role, department=department
    )
    return {
        "success": True,
        "metric_type": metric.id,
        "period": f"last_{days}_days",
        "date_range": {"start": first.isoformat(), "end": today.isoformat()},
        "filters": filters,
        "count": len(points),
        "total": total,
        "data": [{"date": k} | p for k, p in points],
        "breakdown": by,
    }


async def hourly_stats(
    ctx: ToolContext,
    metric_type: MetricArg = "messages_sent",
    hours: Annotated[
        int, Field(ge=1, le=MAX_HOURS, description=f"Hours back, the current hour included (1-{MAX_HOURS}).")
    ] = 24,
    channel: ChannelArg = None,
    role: RoleArg = None,
    department: DepartmentArg = None,
) -> dict[str, Any]:
    """Hourly totals of a metric over the last N hours (UTC), every hour listed, with a breakdown."""
    ctx.require("can_view_analytics")
    current = utcnow().replace(minute=0, second=0, microsecond=0)
    first = current - timedelta(hours=hours - 1)
    hours_list = [first + timedelta(hours=i) for i in range(hours)]
    keys = [h.strftime("%Y-%m-%dT%H") for h in hours_list]
    metric, points, total, by, filters = await _stats(
        ctx, metric_type, keys, first, current + timedelta(hours=1), "hour",
        channel=channel, role=role, department=department,
    )  # fmt: skip
    return {
        "success": True,
        "metric_type": metric.id,
        "period": f"last_{hours}_hours",
        "filters": filters,
        "count": len(points),
        "total": total,
        "data": [{"hour": iso(h)} | p for h, (_, p) in zip(hours_list, points, strict=True)],
        "breakdown": by,
    }


def _growth(now: float, before: float) -> float | None:
    return round((now - before) / before, 4) if before else None


def month_windows(now: datetime) -> tuple[store.Window, store.Window]:
    """This month so far, and the same span at the start of the previous month."""
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    prev_start = (month_start - timedelta(days=1)).replace(day=1)
    prev_end = min(prev_start + (now - month_start), month_start)
    return store.Window(month_start, now), store.Window(prev_start, prev_end)


async def dashboard_summary(ctx: ToolContext) -> dict[str, Any]:
    """The CRM dashboard: lead totals, conversion rate, revenue, this month vs last, sources, activity.

    Revenue is the value of converted leads; "this month" is month-to-date, compared with the same
    number of days at the start of the previous month."""
    ctx.require("can_view_analytics")
    this, last = month_windows(utcnow())
    acc = ctx.principal.account_id
    async with ctx.db.session() as s:
        pipeline = await pipeline_by_status(s, acc)
        leads_now, revenue_now = await store.lead_window(s, acc, this)
        leads_before, revenue_before = await store.lead_window(s, acc, last)
        sources = await store.lead_sources(s, acc)
        activity = await store.activity_counts(s, acc, this.start)
    total = sum(n for n, _ in pipeline.values())
    converted, revenue = pipeline.get("converted", (0, 0.0))
    return {
        "summary": {
            "totalLeads": total,
            "qualifiedLeads": pipeline.get("qualified", (0, 0.0))[0],
            "convertedLeads": converted,
            "conversionRate": round(converted / total, 4) if total else 0.0,
            "totalRevenue": round(revenue, 2),
            "avgDealSize": round(revenue / converted, 2) if converted else 0.0,
            "openPipelineValue": round(sum(v for k, (_, v) in pipeline.items() if k != "converted"), 2),
        },
        "trends": {
            "leadsThisMonth": leads_now,
            "leadsLastMonth": leads_before,
            "leadsGrowth": _growth(leads_now, leads_before),
            "revenueThisMonth": round(revenue_now, 2),
            "revenueLastMonth": round(revenue_before, 2),
            "revenueGrowth": _growth(revenue_now, revenue_before),
            "comparedWith": {"start": iso(last.start), "end": iso(last.end)},
        },
        "sourceBreakdown": sources,
        "pipeline": [{"status": k, "count": n, "value": round(v, 2)} for k, (n, v) in pipeline.items()],
        "activity": activity,
        "generatedAt": iso(this.end),
    }


def register(registry: ToolRegistry) -> None:
    registry.add(daily_stats, permission="can_view_analytics")
    registry.add(hourly_stats, permission="can_view_analytics")
    registry.add(dashboard_summary, permission="can_view_analytics")
