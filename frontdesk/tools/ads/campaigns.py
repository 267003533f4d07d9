"""Ad tools (MIA seed: Google Ads and Meta Ads): accounts, campaigns with metrics, performance."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field

from frontdesk.errors import NotFound
from frontdesk.paging import page_fields
from frontdesk.tools.ads.metrics import ad_daily_series, ad_totals, date_range
from frontdesk.tools.ads.rows import AdAccount, AdDailyRow, AdPlatform
from frontdesk.tools.ads.sources import load_book
from frontdesk.tools.base import ToolContext

MAX_PAGE = 100
PlatformArg = Annotated[AdPlatform | None, Field(description="google_ads or meta_ads; omit for both.")]
AccountArg = Annotated[
    str | None, Field(max_length=64, description="One ad account (Google customer id, Meta act_…).")
]
StartArg = Annotated[date | None, Field(description="First day, YYYY-MM-DD (default: 30 days before end).")]
EndArg = Annotated[date | None, Field(description="Last day, YYYY-MM-DD, inclusive (default: today, UTC).")]


def account_public(a: AdAccount, campaigns: int) -> dict[str, Any]:
    return {
        "id": a.ad_account_id,
        "name": a.name,
        "platform": a.platform,
        "currency": a.currency,
        "time_zone": a.time_zone,
        "status": a.status,
        "campaigns": campaigns,
        "connection_id": a.connection_id,
        "source": a.source,
    }


async def list_ad_accounts(ctx: ToolContext, platform: PlatformArg = None) -> dict[str, Any]:
    """List the Google Ads and Meta Ads accounts connected to this account, with campaign counts."""
    ctx.require("can_view_analytics")
    book = await load_book(ctx)
    accounts = await book.accounts(platform)
    campaigns = await book.campaigns(platform)
    per_account: dict[tuple[str, str], int] = {}
    for c in campaigns:
        per_account[(c.platform, c.ad_account_id)] = per_account.get((c.platform, c.ad_account_id), 0) + 1
    return {
        "accounts": [account_public(a, per_account.get((a.platform, a.ad_account_id), 0)) for a in accounts],
        "total": len(accounts),
        "connections": book.connections,
    }


async def get_campaigns(
    ctx: ToolContext,
    platform: PlatformArg = None,
    ad_account_id: AccountArg = None,
    start_date: StartArg = None,
    end_date: EndArg = None,
    include_metrics: Annotated[bool, Field(description="Add each campaign's metrics for the range.")] = True,
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE, description=f"Page size, 1-{MAX_PAGE}.")] = 50,
    offset: Annotated[int, Field(ge=0, description="Campaigns to skip.")] = 0,
) -> dict[str, Any]:
    """List ad campaigns (Google Ads, Meta Ads) with their impressions, clicks, spend, conversions,
    CTR, CPC, CPA and ROAS over a date range, highest spend first."""
    ctx.require("can_view_analytics")
    period = date_range(start_date, end_date)
    book = await load_book(ctx)
    if ad_account_id is not None:
        await book.account(ad_account_id, platform)
    campaigns = await book.campaigns(platform, ad_account_id)
    by_campaign: dict[tuple[str, str, str], list[AdDailyRow]] = {}
    if include_metrics:
        for r in await book.daily(period.start, period.end, platform=platform, ad_account_id=ad_account_id):
            by_campaign.setdefault((r.platform, r.ad_account_id, r.campaign_id), []).append(r)
    items = []
    for c in campaigns:
        item: dict[str, Any] = {
            "id": c.campaign_id,
            "name": c.name,
            "status": c.status,
            "objective": c.objective,
            "platform": c.platform,
            "ad_account_id": c.ad_account_id,
        }
        if include_metrics:
            item["metrics"] = ad_totals(by_campaign.get((c.platform, c.ad_account_id, c.campaign_id), []))
        items.append(item)
    if include_metrics:
        items.sort(key=lambda i: (-(i["metrics"]["spend"] or 0.0), i["name"], i["id"]))
    else:
        items.sort(key=lambda i: (i["name"], i["id"]))
    page = items[offset : offset + limit]
    return {
        "date_range": period.public() if include_metrics else None,
        "campaigns": page,
        **page_fields(len(items), limit, offset, len(page)),
    }


async def get_ad_performance(
    ctx: ToolContext,
    platform: PlatformArg = None,
    ad_account_id: AccountArg = None,
    campaign_id: Annotated[str | None, Field(max_length=64, description="One campaign's id.")] = None,
    start_date: StartArg = None,
    end_date: EndArg = None,
) -> dict[str, Any]:
    """Ad performance over a date range (at most 366 days): totals with CTR, CPC, CPA and ROAS,
    a per-platform split, and the daily breakdown (every day listed)."""
    ctx.require("can_view_analytics")
    period = date_range(start_date, end_date)
    book = await load_book(ctx)
    if ad_account_id is not None:
        await book.account(ad_account_id, platform)
    if campaign_id is not None and not any(
        c.campaign_id == campaign_id for c in await book.campaigns(platform, ad_account_id)
    ):
        raise NotFound(f"Campaign {campaign_id} not found")
    rows = await book.daily(
        period.start, period.end, platform=platform, ad_account_id=ad_account_id, campaign_id=campaign_id
    )
    platforms = sorted({r.platform for r in rows})
    return {
        "date_range": period.public(),
        "filters": {"platform": platform, "ad_account_id": ad_account_id, "campaign_id": campaign_id},
        "totals": ad_totals(rows),
        "by_platform": [{"platform": p} | ad_totals(r for r in rows if r.platform == p) for p in platforms],
        "daily_breakdown": ad_daily_series(rows, period),
    }
