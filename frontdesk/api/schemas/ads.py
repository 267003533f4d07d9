"""`/api/v1/ads/*`, `/api/v1/ga4/*` and `/api/v1/insights/quick` (MIA shapes).

Metric blocks (`metrics`, `totals`, daily rows) are open dicts: counts, money and derived ratios,
with `by_currency` when the rows mix currencies."""

from __future__ import annotations

from typing import Any

from frontdesk.api.schemas.base import DateRange, PageFields, Public


class AdAccountPublic(Public):
    id: str
    name: str
    platform: str
    currency: str
    time_zone: str
    status: str
    campaigns: int
    connection_id: str | None
    source: str


class AdConnection(Public):
    id: str
    platform: str
    name: str
    mode: str | None
    served: bool


class AdAccountList(Public):
    accounts: list[AdAccountPublic]
    total: int
    connections: list[AdConnection]


class CampaignPublic(Public):
    id: str
    name: str
    status: str | None
    objective: str | None
    platform: str
    ad_account_id: str
    metrics: dict[str, Any] | None = None


class CampaignList(PageFields):
    date_range: DateRange | None
    campaigns: list[CampaignPublic]


class PerformanceFilters(Public):
    platform: str | None
    ad_account_id: str | None
    campaign_id: str | None


class AdPerformance(Public):
    date_range: DateRange
    filters: PerformanceFilters
    totals: dict[str, Any]
    by_platform: list[dict[str, Any]]
    daily_breakdown: list[dict[str, Any]]


class GA4Property(Public):
    property_id: str
    display_name: str
    currency_code: str
    time_zone: str
    connection_id: str | None


class GA4PropertyList(Public):
    properties: list[GA4Property]
    total: int


class GA4Metrics(Public):
    property_id: str
    display_name: str
    date_range: DateRange
    totals: dict[str, Any]
    daily_breakdown: list[dict[str, Any]]


class TopPage(Public):
    page_path: str
    page_title: str
    page_views: int
    users: int
    share: float | None


class GA4TopPages(Public):
    property_id: str
    date_range: DateRange
    total_page_views: int
    pages: list[TopPage]
    total_pages: int


class TrafficSource(Public):
    source: str
    medium: str
    channel_group: str
    sessions: int
    users: int
    new_users: int
    conversions: int
    conversion_rate: float | None
    share: float | None


class GA4TrafficSources(Public):
    property_id: str
    date_range: DateRange
    total_sessions: int
    sources: list[TrafficSource]


class Fact(Public):
    metric: str
    key: str
    platform: str
    value: str
    raw_value: int | float
    previous_value: int | float | None
    trend: str
    change: str | None
    change_ratio: float | None
    sentiment: str
    period: str


class QuickInsights(Public):
    success: bool
    insight_type: str
    date_range: DateRange
    compared_with: DateRange
    platforms_analyzed: list[str]
    facts: list[Fact]
    response_time_ms: int
