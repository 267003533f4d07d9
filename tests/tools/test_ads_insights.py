"""quick_insights (template facts, trend and change vs the previous period) and metric arithmetic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from frontdesk import clock
from frontdesk.config import Settings
from frontdesk.errors import Invalid
from frontdesk.storage.db import Database
from frontdesk.storage.models import Connection
from frontdesk.tools.ads.demo import DemoAdSource, DemoGA4Source
from frontdesk.tools.ads.insights import FLAT_BELOW, compare
from frontdesk.tools.ads.metrics import ad_totals, date_range
from frontdesk.tools.ads.rows import AdDailyRow
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from tests.conftest import demo_identity

pytestmark = pytest.mark.usefixtures("pinned_today")

TODAY = clock.today()


def row(day: int = 1, *, impressions: int = 0, clicks: int = 0, spend: float = 0.0, conv: float = 0.0,
        value: float = 0.0, currency: str = "USD") -> AdDailyRow:  # fmt: skip
    return AdDailyRow(
        date(2026, 1, day), "google_ads", "1", "c", "C", impressions, clicks, spend, conv, value, currency
    )


def test_derived_metrics_never_divide_by_zero() -> None:
    nothing = ad_totals([])
    assert nothing["impressions"] == 0 and nothing["spend"] == 0.0 and nothing["currency"] is None
    assert all(nothing[k] is None for k in ("ctr", "cpc", "cpm", "cpa", "roas", "conversion_rate"))
    shown = ad_totals([row(impressions=1000)])
    assert shown["ctr"] == 0.0 and shown["cpc"] is None and shown["cpa"] is None and shown["roas"] is None
    t = ad_totals(
        [
            row(impressions=2000, clicks=50, spend=40.0, conv=4, value=300.0),
            row(2, impressions=2000, clicks=30),
        ]
    )
    assert (t["ctr"], t["cpc"], t["cpm"], t["cpa"], t["roas"]) == (0.02, 0.5, 10.0, 10.0, 7.5)
    assert t["conversion_rate"] == 0.05


def test_money_in_several_currencies_is_not_summed() -> None:
    t = ad_totals([row(clicks=10, spend=20.0, value=50.0), row(clicks=10, spend=30.0, currency="EUR")])
    assert t["currency"] is None and t["spend"] is None and t["cpc"] is None and t["roas"] is None
    assert t["by_currency"] == {
        "USD": {"spend": 20.0, "conversion_value": 50.0},
        "EUR": {"spend": 30.0, "conversion_value": 0.0},
    }
    assert t["clicks"] == 20


def test_compare_trend_and_change() -> None:
    assert compare(125.0, 100.0) == ("up", 0.25)
    assert compare(80.0, 100.0) == ("down", -0.2)
    assert compare(100.4, 100.0) == ("flat", 0.004)  # under FLAT_BELOW
    assert FLAT_BELOW == 0.005
    assert compare(5.0, 0.0) == ("up", None)  # nothing before: up, no ratio
    assert compare(0.0, 0.0) == ("flat", 0.0)
    assert compare(3.0, None) == ("up", None)


def test_date_range_defaults() -> None:
    assert date_range(None, None).days == 30 and date_range(None, None).end == TODAY
    assert date_range(date(2026, 1, 1), None).end == min(date(2026, 1, 30), TODAY)
    assert date_range(None, date(2026, 1, 30)).start == date(2026, 1, 1)
    assert date_range(date(2026, 1, 1), date(2026, 1, 30)).previous().start == date(2025, 12, 2)
    with pytest.raises(Invalid):
        date_range(TODAY + timedelta(days=2), None)


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    return ToolContext((await demo_identity(db)).principal(), db, settings)


def expected_trend(now: float, before: float) -> tuple[str, float]:
    change = (now - before) / before
    return ("flat" if abs(change) < 0.005 else "up" if change > 0 else "down"), round(change, 4)


async def test_quick_insights_facts_match_the_rows(db: Database, ctx: ToolContext) -> None:
    async with db.session() as s:
        conns = list(
            await s.scalars(select(Connection).where(Connection.account_id == ctx.principal.account_id))
        )
    ads = [DemoAdSource(c.platform, c.id) for c in conns if c.platform in ("google_ads", "meta_ads")]
    (ga4,) = [DemoGA4Source(c.id) for c in conns if c.platform == "ga4"]
    cur = (TODAY - timedelta(days=13), TODAY)
    prev = (TODAY - timedelta(days=27), TODAY - timedelta(days=14))

    async def ad_rows(span: tuple[date, date]) -> list[AdDailyRow]:
        return [r for source in ads for r in await source.ad_daily(*span)]

    now_rows, before_rows = await ad_rows(cur), await ad_rows(prev)
    insights = await default_registry().call("quick_insights", {"date_range": "14_days"}, ctx)
    assert insights["date_range"] == {"start": str(cur[0]), "end": str(cur[1]), "days": 14}
    assert insights["compared_with"] == {"start": str(prev[0]), "end": str(prev[1]), "days": 14}
    assert insights["platforms_analyzed"] == ["google_ads", "meta_ads", "ga4"]
    facts = {(f["platform"], f["key"]): f for f in insights["facts"]}

    def figure(rows: list[AdDailyRow], key: str) -> float:
        imp, clicks = sum(r.impressions for r in rows), sum(r.clicks for r in rows)
        spend, conv = sum(r.spend for r in rows), sum(r.conversions for r in rows)
        value = sum(r.conversion_value for r in rows)
        return {
            "spend": spend,
            "impressions": imp,
            "clicks": clicks,
            "ctr": clicks / imp,
            "cpc": spend / clicks,
            "conversions": conv,
            "cpa": spend / conv,
            "roas": value / spend,
        }[key]

    for key in ("spend", "impressions", "clicks", "ctr", "cpc", "conversions", "cpa", "roas"):
        fact = facts[("google_ads+meta_ads", key)]
        now, before = figure(now_rows, key), figure(before_rows, key)
        assert fact["raw_value"] == pytest.approx(now, rel=1e-4), key
        assert fact["previous_value"] == pytest.approx(before, rel=1e-4), key
        trend, change = expected_trend(fact["raw_value"], fact["previous_value"])
        assert (fact["trend"], fact["change_ratio"]) == (trend, change), key
        assert fact["change"] == f"{change * 100:+.1f}%" and fact["period"] == "vs previous 14 days"
    assert facts[("google_ads+meta_ads", "ctr")]["value"].endswith("%")
    assert facts[("google_ads+meta_ads", "spend")]["value"].endswith(" USD")
    cpa = facts[("google_ads+meta_ads", "cpa")]
    if cpa["trend"] != "flat":  # a lower cost per acquisition is good news
        assert cpa["sentiment"] == ("positive" if cpa["trend"] == "down" else "negative")

    prop = ga4.property.property_id
    sessions_now = sum(r.sessions for r in await ga4.source_daily(prop, *cur))
    sessions_before = sum(r.sessions for r in await ga4.source_daily(prop, *prev))
    fact = facts[("ga4", "sessions")]
    assert (fact["raw_value"], fact["previous_value"]) == (sessions_now, sessions_before)
    assert (fact["trend"], fact["change_ratio"]) == expected_trend(sessions_now, sessions_before)


async def test_quick_insights_options(ctx: ToolContext) -> None:
    reg = default_registry()
    only_ga4 = await reg.call("quick_insights", {"platforms": ["ga4"], "date_range": "7_days"}, ctx)
    assert only_ga4["platforms_analyzed"] == ["ga4"] and {f["platform"] for f in only_ga4["facts"]} == {"ga4"}
    meta = await reg.call("quick_insights", {"platforms": ["meta_ads"]}, ctx)
    assert meta["platforms_analyzed"] == ["meta_ads"] and meta["date_range"]["days"] == 30
    custom = await reg.call("quick_insights", {"start_date": "2026-01-01", "end_date": "2026-01-10"}, ctx)
    assert custom["compared_with"] == {"start": "2025-12-22", "end": "2025-12-31", "days": 10}
    with pytest.raises(Invalid, match="date_range"):
        await reg.call("quick_insights", {"date_range": "45_days"}, ctx)
    with pytest.raises(Invalid, match="platforms"):
        await reg.call("quick_insights", {"platforms": ["tiktok"]}, ctx)
