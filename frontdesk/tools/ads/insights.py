"""Instant template facts (MIA "bronze" insights): each headline metric of the period, its trend
and its change against the previous period of equal length. Computed from data; no model.

A fact's `change` is the relative change (+12.5% means 1.125x the previous value); `trend` is
"flat" when the change is under `FLAT_BELOW` (half a percent) either way, and "up" with no
`change` when the previous value was zero. `sentiment` says whether the move is good for the
business (CPC and CPA going down is positive; spend is neutral).

`marketing_advice` adds the per-campaign recommendations of `advice` (grow / optimize / protect,
or a summary of all three) to the same period, with a templated text of them (`advice_text`).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk.errors import NotFound
from frontdesk.tools.ads import advice, metrics
from frontdesk.tools.ads.advice_text import advice_text
from frontdesk.tools.ads.metrics import DateRange, ad_totals, ga4_totals
from frontdesk.tools.ads.sources import AdBook, load_book
from frontdesk.tools.base import ToolContext

RANGES = {"7_days": 7, "14_days": 14, "30_days": 30, "90_days": 90}
FLAT_BELOW = 0.005
InsightPlatform = Literal["google_ads", "meta_ads", "ga4"]
# (label, key in the totals, format, which direction is good)
AD_FACTS = (
    ("Spend", "spend", "money", None),
    ("Impressions", "impressions", "count", "up"),
    ("Clicks", "clicks", "count", "up"),
    ("CTR", "ctr", "percent", "up"),
    ("CPC", "cpc", "money", "down"),
    ("Conversions", "conversions", "count", "up"),
    ("CPA", "cpa", "money", "down"),
    ("ROAS", "roas", "times", "up"),
)
GA4_FACTS = (
    ("Sessions", "sessions", "count", "up"),
    ("Users", "users", "count", "up"),
    ("Website conversions", "conversions", "count", "up"),
    ("Engagement rate", "engagement_rate", "percent", "up"),
)


def compare(current: float, previous: float | None) -> tuple[str, float | None]:
    """(trend, relative change) of `current` against `previous`."""
    if not previous:
        return ("flat", 0.0) if not current else ("up" if current > 0 else "down", None)
    change = (current - previous) / abs(previous)
    if abs(change) < FLAT_BELOW:
        return "flat", round(change, 4)
    return ("up" if change > 0 else "down"), round(change, 4)


def _format(value: float, kind: str, currency: str | None) -> str:
    if kind == "money":
        return f"{value:,.2f} {currency or ''}".strip()
    if kind == "percent":
        return f"{value * 100:.2f}%"
    if kind == "times":
        return f"{value:.2f}x"
    return f"{value:,.0f}"


def _facts(
    specs: tuple[tuple[str, str, str, str | None], ...],
    now: dict[str, Any],
    before: dict[str, Any],
    platform: str,
    period_label: str,
) -> list[dict[str, Any]]:
    facts = []
    for label, key, kind, good in specs:
        value = now.get(key)
        if value is None:  # e.g. CPA with no conversions, money across several currencies
            continue
        trend, change = compare(value, before.get(key))
        sentiment = "neutral"
        if good and trend != "flat":
            sentiment = "positive" if trend == good else "negative"
        facts.append(
            {
                "metric": label,
                "key": key,
                "platform": platform,
                "value": _format(value, kind, now.get("currency")),
                "raw_value": value,
                "previous_value": before.get(key),
                "trend": trend,
                "change": None if change is None else f"{change * 100:+.1f}%",
                "change_ratio": change,
                "sentiment": sentiment,
                "period": period_label,
            }
        )
    return facts


async def _ad_facts(
    book: AdBook, wanted: set[str], cur: DateRange, prev: DateRange, label: str
) -> tuple[list[str], list[dict[str, Any]]]:
    platforms = sorted({a.platform for a in await book.accounts()} & wanted)
    if not platforms:
        return [], []
    rows = await book.daily(prev.start, cur.end)
    rows = [r for r in rows if r.platform in platforms]
    now = ad_totals(r for r in rows if r.date >= cur.start)
    before = ad_totals(r for r in rows if r.date <= prev.end)
    return platforms, _facts(AD_FACTS, now, before, "+".join(platforms), label)


async def _ga4_facts(book: AdBook, cur: DateRange, prev: DateRange, label: str) -> list[dict[str, Any]]:
    try:
        prop, source = await book.ga4_property(None)
    except NotFound:
        return []
    rows = await source.source_daily(prop.property_id, prev.start, cur.end)
    now = ga4_totals([r for r in rows if r.date >= cur.start], 0)
    before = ga4_totals([r for r in rows if r.date <= prev.end], 0)
    return _facts(GA4_FACTS, now, before, "ga4", label)


def period(date_range: str, start_date: date | None, end_date: date | None) -> DateRange:
    """The analysed period: `start_date`..`end_date` when a start is given, else `date_range`."""
    if start_date is not None:
        return metrics.date_range(start_date, end_date)
    return metrics.date_range(None, end_date, default_days=RANGES[date_range])


RangeName = Annotated[
    Literal["7_days", "14_days", "30_days", "90_days"],
    Field(description="The period ending on end_date: 7, 14, 30 or 90 days."),
]
Platforms = Annotated[
    list[InsightPlatform] | None,
    Field(description="google_ads, meta_ads, ga4; omit for every connected one."),
]
EndDate = Annotated[date | None, Field(description="Last day of the period (default: today, UTC).")]
StartDate = Annotated[date | None, Field(description="Overrides date_range: the period's first day.")]


async def quick_insights(
    ctx: ToolContext,
    date_range: RangeName = "30_days",
    platforms: Platforms = None,
    end_date: EndDate = None,
    start_date: StartDate = None,
) -> dict[str, Any]:
    """Instant facts about marketing performance: spend, clicks, CTR, CPC, conversions, CPA, ROAS
    and website sessions, each with its trend and change against the previous period."""
    ctx.require("can_view_analytics")
    started = time.perf_counter()
    cur = period(date_range, start_date, end_date)
    prev = cur.previous()
    label = f"vs previous {cur.days} days"
    wanted = set(platforms or ("google_ads", "meta_ads", "ga4"))
    book = await load_book(ctx)
    await ctx.progress(1, 3, "ad and GA4 data loaded")
    analyzed, facts = await _ad_facts(book, wanted, cur, prev, label)
    await ctx.progress(2, 3, "ad facts computed")
    if "ga4" in wanted and (ga4 := await _ga4_facts(book, cur, prev, label)):
        analyzed, facts = [*analyzed, "ga4"], [*facts, *ga4]
    await ctx.progress(3, 3, "GA4 facts computed")
    return {
        "success": True,
        "insight_type": "bronze",
        "date_range": cur.public(),
        "compared_with": prev.public(),
        "platforms_analyzed": analyzed,
        "facts": facts,
        "response_time_ms": round((time.perf_counter() - started) * 1000),
    }


AdviceLens = Literal["grow", "optimize", "protect", "summary"]


async def marketing_advice(
    ctx: ToolContext,
    lens: Annotated[
        AdviceLens,
        Field(
            description="grow: budget shifts toward better CPA/ROAS; optimize: campaigns to pause or "
            "cut; protect: rising CPC/CPA or falling CTR; summary: headline figures and the top "
            "recommendation of each."
        ),
    ] = "summary",
    date_range: RangeName = "30_days",
    platforms: Platforms = None,
    end_date: EndDate = None,
    start_date: StartDate = None,
) -> dict[str, Any]:
    """Marketing advice from the ad data: which campaigns to pause or cut, where to shift budget
    and what to watch, each naming the campaign, the numbers behind it and the expected effect."""
    ctx.require("can_view_analytics")
    started = time.perf_counter()
    cur = period(date_range, start_date, end_date)
    prev = cur.previous()
    wanted = set(platforms or ("google_ads", "meta_ads", "ga4"))
    book = await load_book(ctx)
    analyzed = sorted({a.platform for a in await book.accounts()} & wanted)
    rows = [r for r in await book.daily(prev.start, cur.end) if r.platform in analyzed]
    stats = advice.campaign_stats(rows, await book.campaigns(), cur, prev)
    report: dict[str, Any] = {
        "success": True,
        "insight_type": lens,
        "date_range": cur.public(),
        "compared_with": prev.public(),
        "platforms_analyzed": analyzed,
        "account": advice.blended(stats),
    }
    if lens == "summary":
        facts = await quick_insights(ctx, date_range, platforms, end_date, start_date)
        report["platforms_analyzed"] = facts["platforms_analyzed"]
        report["facts"] = facts["facts"]
        tops = (advice.recommend(one, stats)[:1] for one in ("optimize", "grow", "protect"))
        report["recommendations"] = [r for top in tops for r in top]
    else:
        report["recommendations"] = advice.recommend(lens, stats)
    report["thresholds"] = advice.THRESHOLDS
    report["insights"] = advice_text(report)
    report["response_time_ms"] = round((time.perf_counter() - started) * 1000)
    return report
