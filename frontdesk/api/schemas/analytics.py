"""`/api/v1/analytics/*` (Services API shapes) and `/api/analytics/dashboard` (CRM MVP shape)."""

from __future__ import annotations

from typing import Any

from frontdesk.api.schemas.base import CamelPublic, Day, Public, Timestamp


class Point(Public):
    """One bucket: `total`, and `count` / `average` for metrics that count something."""

    total: int
    count: int | None = None
    average: float | None = None


class DailyPoint(Point):
    date: Day


class HourlyPoint(Point):
    hour: Timestamp


class DayRange(Public):
    start: Day
    end: Day


class StatsFields(Public):
    success: bool
    metric_type: str
    period: str
    filters: dict[str, str]
    count: int
    total: int
    breakdown: dict[str, dict[str, Any]]


class DailyStats(StatsFields):
    date_range: DayRange
    data: list[DailyPoint]


class HourlyStats(StatsFields):
    data: list[HourlyPoint]


class MetricPublic(Public):
    id: str
    label: str
    description: str
    type: str
    count_of: str | None
    dimensions: list[str]


class MetricCatalog(Public):
    success: bool
    count: int
    data: list[MetricPublic]


class DashboardSummary(CamelPublic):
    total_leads: int
    qualified_leads: int
    converted_leads: int
    conversion_rate: float
    total_revenue: float
    avg_deal_size: float
    open_pipeline_value: float


class Window(Public):
    start: Timestamp
    end: Timestamp


class DashboardTrends(CamelPublic):
    leads_this_month: int
    leads_last_month: int
    leads_growth: float | None
    revenue_this_month: float
    revenue_last_month: float
    revenue_growth: float | None
    compared_with: Window


class PipelineStage(Public):
    status: str
    count: int
    value: float


class DashboardActivity(CamelPublic):
    total_contacts: int
    contacts_this_month: int
    total_conversations: int
    conversations_this_month: int
    total_messages: int
    messages_this_month: int
    total_tokens: int
    tokens_this_month: int


class Dashboard(CamelPublic):
    summary: DashboardSummary
    trends: DashboardTrends
    source_breakdown: dict[str, int]
    pipeline: list[PipelineStage]
    activity: DashboardActivity
    generated_at: Timestamp
