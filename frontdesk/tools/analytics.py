"""Analytics over the conversation store and the CRM (Services API daily/hourly stats, CRM MVP
dashboard). Figures are account-wide aggregates: they count messages but never show their text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk import clock
from frontdesk.errors import Invalid
from frontdesk.storage import analytics as store
from frontdesk.storage.crm import LEAD_STATUSES
from frontdesk.storage.dashboard import dashboard_totals
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


async def _stats(
    ctx: ToolContext,
    metric_type: str,
    points: list[tuple[str, str]],
    label: str,
    start: datetime,
    end: datetime,
    grain: store.Grain,
    **f: Any,
) -> tuple[store.Metric, list[dict[str, Any]], int, dict[str, Any], dict[str, str]]:
    """(metric, a data point per (bucket key, label) of `points`, total, breakdown, filters): one
    read (`series_and_breakdown`), the points built in one pass."""
    metric = store.METRICS[metric_type]
    filters = _filters(metric, **f)
    acc = ctx.principal.account_id
    async with ctx.db.session() as s:
        found, by = await store.series_and_breakdown(s, metric, acc, start, end, grain, filters)
    data: list[dict[str, Any]] = []
    total = 0
    counting = metric.count_of is not None
    for key, shown in points:
        value, n = found.get(key, (0, 0))
        total += value
        if counting:
            n = n or 0
            data.append(
                {label: shown, "total": value, "count": n, "average": round(value / n, 2) if n else 0.0}
            )
        else:
            data.append({label: shown, "total": value})
    return metric, data, total, by, filters


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
    metric, data, total, by, filters = await _stats(
        ctx, metric_type, [(k, k) for k in keys], "date", start, end, "day",
        channel=channel, role=role, department=department,
    )  # fmt: skip
    return {
        "success": True,
        "metric_type": metric.id,
        "period": f"last_{days}_days",
        "date_range": {"start": first.isoformat(), "end": today.isoformat()},
        "filters": filters,
        "count": len(data),
        "total": total,
        "data": data,
        "breakdown": by,
    }


def hour_keys(first: datetime, hours: int) -> list[str]:
    """The `YYYY-MM-DDTHH` keys of `hours` whole UTC hours from `first`, the date formatted once
    per day instead of a `strftime` per hour."""
    first = first.astimezone(UTC)
    day, hour = first.date(), first.hour
    prefix = f"{day.isoformat()}T"
    keys = []
    for _ in range(hours):
        keys.append(f"{prefix}{hour:02d}")
        hour += 1
        if hour == 24:
            day, hour = day + timedelta(days=1), 0
            prefix = f"{day.isoformat()}T"
    return keys


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
    points = [(k, f"{k}:00:00Z") for k in hour_keys(first, hours)]  # the hour's `iso`
    metric, data, total, by, filters = await _stats(
        ctx, metric_type, points, "hour", first, current + timedelta(hours=1), "hour",
        channel=channel, role=role, department=department,
    )  # fmt: skip
    return {
        "success": True,
        "metric_type": metric.id,
        "period": f"last_{hours}_hours",
        "filters": filters,
        "count": len(data),
        "total": total,
        "data": data,
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
        found = await dashboard_totals(s, acc, this, last)  # one statement
    statuses = found.statuses
    pipeline = {
        k: statuses.get(k, (0, 0.0)) for k in (*LEAD_STATUSES, *sorted(set(statuses) - set(LEAD_STATUSES)))
    }
    (leads_now, revenue_now), (leads_before, revenue_before) = found.windows
    sources, activity = found.sources, found.activity
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
