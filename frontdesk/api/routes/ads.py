"""`/api/v1/ads/*`, `/api/v1/ga4/*`, `/api/v1/insights/quick`: ad metrics, web analytics and
instant facts (MIA seed paths under one prefix). Routes translate only; the work is in `tools.ads`.

Dates are `start_date` / `end_date` (YYYY-MM-DD, inclusive, at most 366 days apart; default the
last 30 days). A range that is reversed or too long is a 400 with `detail`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.ads import (
    AdAccountList,
    AdPerformance,
    CampaignList,
    GA4Metrics,
    GA4PropertyList,
    GA4TopPages,
    GA4TrafficSources,
    QuickInsights,
)
from frontdesk.tools.ads import campaigns, ga4, insights
from frontdesk.tools.ads.insights import InsightPlatform
from frontdesk.tools.ads.rows import AdPlatform
from frontdesk.tools.base import ToolContext

router = APIRouter(prefix="/api/v1", tags=["ads"])
Start = Annotated[date | None, Query(description="First day (YYYY-MM-DD).")]
End = Annotated[date | None, Query(description="Last day, inclusive (YYYY-MM-DD).")]
PlatformQ = Annotated[AdPlatform | None, Query()]


def _ctx(services: ServicesDep, principal: CurrentPrincipal) -> ToolContext:
    return ToolContext(principal, services.db, services.settings)


@router.get("/ads/accounts", response_model=AdAccountList, responses=errors(401, 403, 422))
async def ad_accounts(principal: CurrentPrincipal, services: ServicesDep, platform: PlatformQ = None) -> Any:
    """The ad accounts of the account's ad platform connections (Google Ads, Meta Ads); filter by
    platform."""
    return await campaigns.list_ad_accounts(_ctx(services, principal), platform=platform)


@router.get(
    "/ads/campaigns",
    response_model=CampaignList,
    response_model_exclude_unset=True,  # `metrics` only with include_metrics
    responses=errors(400, 401, 403, 404, 422),
)
async def ad_campaigns(
    principal: CurrentPrincipal,
    services: ServicesDep,
    platform: PlatformQ = None,
    ad_account_id: Annotated[str | None, Query(max_length=64)] = None,
    start_date: Start = None,
    end_date: End = None,
    include_metrics: bool = True,
    limit: Annotated[int, Query(ge=1, le=campaigns.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """Campaigns across the connected ad accounts, with their metrics over the date range unless
    `include_metrics=false`; paged."""
    return await campaigns.get_campaigns(
        _ctx(services, principal),
        platform=platform,
        ad_account_id=ad_account_id,
        start_date=start_date,
        end_date=end_date,
        include_metrics=include_metrics,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/ads/accounts/{ad_account_id}/campaigns",
    response_model=CampaignList,
    response_model_exclude_unset=True,
    responses=errors(400, 401, 403, 404, 422),
)
async def account_campaigns(
    ad_account_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    start_date: Start = None,
    end_date: End = None,
    include_metrics: bool = True,
    limit: Annotated[int, Query(ge=1, le=campaigns.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Any:
    """`/ads/campaigns` for one ad account."""
    return await ad_campaigns(
        principal, services, None, ad_account_id, start_date, end_date, include_metrics, limit, offset
    )


@router.get("/ads/performance", response_model=AdPerformance, responses=errors(400, 401, 403, 404, 422))
async def ad_performance(
    principal: CurrentPrincipal,
    services: ServicesDep,
    platform: PlatformQ = None,
    ad_account_id: Annotated[str | None, Query(max_length=64)] = None,
    campaign_id: Annotated[str | None, Query(max_length=64)] = None,
    start_date: Start = None,
    end_date: End = None,
) -> Any:
    """Ad performance over the date range, narrowed by platform, ad account or campaign."""
    return await campaigns.get_ad_performance(
        _ctx(services, principal),
        platform=platform,
        ad_account_id=ad_account_id,
        campaign_id=campaign_id,
        start_date=start_date,
        end_date=end_date,
    )


@router.get(
    "/ads/accounts/{ad_account_id}/performance",
    response_model=AdPerformance,
    responses=errors(400, 401, 403, 404, 422),
)
async def account_performance(
    ad_account_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    start_date: Start = None,
    end_date: End = None,
) -> Any:
    """Ad performance of one ad account over the date range."""
    return await campaigns.get_ad_performance(
        _ctx(services, principal), ad_account_id=ad_account_id, start_date=start_date, end_date=end_date
    )


@router.get("/ga4/properties", response_model=GA4PropertyList, responses=errors(401, 403))
async def ga4_properties(principal: CurrentPrincipal, services: ServicesDep) -> Any:
    """The Google Analytics 4 properties of the caller's GA4 connections."""
    return await ga4.list_ga4_properties(_ctx(services, principal))


@router.get(
    "/ga4/properties/{property_id}/metrics",
    response_model=GA4Metrics,
    responses=errors(400, 401, 403, 404, 422),
)
async def ga4_metrics(
    property_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    start_date: Start = None,
    end_date: End = None,
) -> Any:
    """Traffic metrics of one GA4 property over the date range."""
    return await ga4.get_ga4_metrics(
        _ctx(services, principal), property_id=property_id, start_date=start_date, end_date=end_date
    )


@router.get(
    "/ga4/properties/{property_id}/top-pages",
    response_model=GA4TopPages,
    responses=errors(400, 401, 403, 404, 422),
)
async def ga4_top_pages(
    property_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    start_date: Start = None,
    end_date: End = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Any:
    """The most viewed pages of one GA4 property over the date range."""
    return await ga4.get_top_pages(
        _ctx(services, principal),
        property_id=property_id,
        start_date=start_date,
        end_date=end_date,
        limit=limit,
    )


@router.get(
    "/ga4/properties/{property_id}/traffic-sources",
    response_model=GA4TrafficSources,
    responses=errors(400, 401, 403, 404, 422),
)
async def ga4_traffic_sources(
    property_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    start_date: Start = None,
    end_date: End = None,
) -> Any:
    """Traffic by source of one GA4 property over the date range."""
    return await ga4.get_traffic_sources(
        _ctx(services, principal), property_id=property_id, start_date=start_date, end_date=end_date
    )


class QuickInsightsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date_range: Literal["7_days", "14_days", "30_days", "90_days"] = "30_days"
    platforms: list[InsightPlatform] | None = Field(default=None, max_length=3)
    start_date: date | None = None
    end_date: date | None = None


@router.post("/insights/quick", response_model=QuickInsights, responses=errors(400, 401, 403, 413, 422))
async def quick_insights(
    body: QuickInsightsIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Instant template facts (MIA "bronze" highlight): each metric's value, trend and change."""
    return await insights.quick_insights(
        _ctx(services, principal),
        date_range=body.date_range,
        platforms=body.platforms,
        start_date=body.start_date,
        end_date=body.end_date,
    )
