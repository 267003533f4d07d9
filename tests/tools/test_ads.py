"""Ad and GA4 tools through the registry, against sums computed here from the seeded demo rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from frontdesk import clock
from frontdesk.config import Settings
from frontdesk.errors import Forbidden, Invalid, NotFound
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id
from frontdesk.storage.models import Connection
from frontdesk.tools.ads.demo import DEMO_DAYS, DemoAdSource, DemoGA4Source, demo_window
from frontdesk.tools.ads.rows import AdDailyRow
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from frontdesk.types import Principal
from tests.conftest import demo_identity, new_identity

pytestmark = pytest.mark.usefixtures("pinned_today")

TODAY = clock.today()
LAST_30 = (TODAY - timedelta(days=29), TODAY)


async def seeded_sources(db: Database, account_id: str) -> tuple[list[DemoAdSource], list[DemoGA4Source]]:
    """The demo sources behind the account's seeded connections, built here from the rows."""
    async with db.session() as s:
        conns = list(await s.scalars(select(Connection).where(Connection.account_id == account_id)))
    ads = [DemoAdSource(c.platform, c.id) for c in conns if c.platform in ("google_ads", "meta_ads")]
    ga4 = [DemoGA4Source(c.id) for c in conns if c.platform == "ga4"]
    return ads, ga4


async def seeded_rows(db: Database, account_id: str, start: date, end: date) -> list[AdDailyRow]:
    ads, _ = await seeded_sources(db, account_id)
    return [r for source in ads for r in await source.ad_daily(start, end)]


def sums(rows: list[AdDailyRow]) -> dict[str, float]:
    return {
        "impressions": sum(r.impressions for r in rows),
        "clicks": sum(r.clicks for r in rows),
        "spend": round(sum(r.spend for r in rows), 2),
        "conversions": sum(r.conversions for r in rows),
        "conversion_value": round(sum(r.conversion_value for r in rows), 2),
    }


def check_totals(got: dict[str, object], rows: list[AdDailyRow]) -> None:
    want = sums(rows)
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key
    assert got["ctr"] == pytest.approx(want["clicks"] / want["impressions"], abs=1e-6)
    assert got["cpc"] == pytest.approx(want["spend"] / want["clicks"], abs=1e-4)
    assert got["cpa"] == pytest.approx(want["spend"] / want["conversions"], abs=1e-4)
    assert got["roas"] == pytest.approx(want["conversion_value"] / want["spend"], abs=1e-4)


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    return ToolContext((await demo_identity(db)).principal(), db, settings)


async def test_demo_rows_are_deterministic_and_cover_a_year(db: Database, ctx: ToolContext) -> None:
    ads, ga4 = await seeded_sources(db, ctx.principal.account_id)
    assert sorted(a.platform for a in ads) == ["google_ads", "meta_ads"] and len(ga4) == 1
    source = ads[0]
    whole = await source.ad_daily(date(2000, 1, 1), TODAY + timedelta(days=30))
    assert {r.date for r in whole} == set(demo_window()[0] + timedelta(days=i) for i in range(DEMO_DAYS))
    again = await DemoAdSource(source.platform, source.key).ad_daily(TODAY - timedelta(days=3), TODAY)
    assert again == [r for r in whole if r.date >= TODAY - timedelta(days=3)]  # a day's row never moves
    assert all(r.clicks <= r.impressions and r.spend >= 0 and r.currency == "USD" for r in whole)
    paused = [c for c in await source.campaigns() if c.status == "PAUSED"]
    assert paused and not [r for r in whole if r.campaign_id == paused[0].campaign_id and r.date == TODAY]


async def test_list_ad_accounts(ctx: ToolContext) -> None:
    reg = default_registry()
    listed = await reg.call("list_ad_accounts", {}, ctx)
    assert listed["total"] == 4
    assert sorted(a["platform"] for a in listed["accounts"]) == ["google_ads"] * 2 + ["meta_ads"] * 2
    assert all(a["campaigns"] >= 2 and a["currency"] == "USD" for a in listed["accounts"])
    assert {c["platform"] for c in listed["connections"] if c["served"]} == {"google_ads", "meta_ads", "ga4"}
    meta = await reg.call("list_ad_accounts", {"platform": "meta_ads"}, ctx)
    assert meta["total"] == 2 and all(a["id"].startswith("act_") for a in meta["accounts"])


async def test_ad_performance_totals_and_daily_breakdown(db: Database, ctx: ToolContext) -> None:
    reg = default_registry()
    start, end = LAST_30
    rows = await seeded_rows(db, ctx.principal.account_id, start, end)
    perf = await reg.call("get_ad_performance", {"start_date": str(start), "end_date": str(end)}, ctx)
    assert perf["date_range"] == {"start": str(start), "end": str(end), "days": 30}
    check_totals(perf["totals"], rows)
    assert perf["totals"]["currency"] == "USD"
    for split in perf["by_platform"]:
        check_totals(split, [r for r in rows if r.platform == split["platform"]])
    assert [d["date"] for d in perf["daily_breakdown"]] == [str(start + timedelta(days=i)) for i in range(30)]
    for day in perf["daily_breakdown"]:
        check_totals(day, [r for r in rows if str(r.date) == day["date"]])

    one = rows[0]
    by_account = await reg.call("get_ad_performance", {"ad_account_id": one.ad_account_id}, ctx)
    check_totals(by_account["totals"], [r for r in rows if r.ad_account_id == one.ad_account_id])
    by_campaign = await reg.call("get_ad_performance", {"campaign_id": one.campaign_id}, ctx)
    check_totals(by_campaign["totals"], [r for r in rows if r.campaign_id == one.campaign_id])
    google = await reg.call("get_ad_performance", {"platform": "google_ads"}, ctx)
    assert [p["platform"] for p in google["by_platform"]] == ["google_ads"]


async def test_campaigns_with_metrics(db: Database, ctx: ToolContext) -> None:
    reg = default_registry()
    start, end = TODAY - timedelta(days=89), TODAY
    rows = await seeded_rows(db, ctx.principal.account_id, start, end)
    per_campaign: dict[str, list[AdDailyRow]] = defaultdict(list)
    for r in rows:
        per_campaign[r.campaign_id].append(r)
    page = await reg.call(
        "get_campaigns", {"start_date": str(start), "end_date": str(end), "limit": 100}, ctx
    )
    assert page["total"] == 10 == len(page["campaigns"])
    for c in page["campaigns"]:
        check_totals(c["metrics"], per_campaign[c["id"]])
    spends = [c["metrics"]["spend"] for c in page["campaigns"]]
    assert spends == sorted(spends, reverse=True)
    first = await reg.call("get_campaigns", {"limit": 4}, ctx)
    rest = await reg.call("get_campaigns", {"limit": 4, "offset": 4}, ctx)
    assert first["has_more"] and len(rest["campaigns"]) == 4
    assert not {c["id"] for c in first["campaigns"]} & {c["id"] for c in rest["campaigns"]}
    account = rows[0].ad_account_id
    mine = await reg.call("get_campaigns", {"ad_account_id": account, "include_metrics": False}, ctx)
    assert mine["total"] >= 2 and all(
        c["ad_account_id"] == account and "metrics" not in c for c in mine["campaigns"]
    )


async def test_dates_are_validated(ctx: ToolContext) -> None:
    reg = default_registry()
    with pytest.raises(Invalid, match="is after end_date"):
        await reg.call("get_ad_performance", {"start_date": "2026-03-02", "end_date": "2026-03-01"}, ctx)
    with pytest.raises(Invalid, match="367 days long; the longest allowed is 366"):
        await reg.call("get_ad_performance", {"start_date": "2025-01-01", "end_date": "2026-01-02"}, ctx)
    full = await reg.call("get_ad_performance", {"start_date": "2025-01-01", "end_date": "2026-01-01"}, ctx)
    assert full["date_range"]["days"] == 366 and len(full["daily_breakdown"]) == 366
    with pytest.raises(Invalid, match="start_date"):
        await reg.call("get_ad_performance", {"start_date": "yesterday"}, ctx)


async def test_ga4_metrics_pages_and_sources(db: Database, ctx: ToolContext) -> None:
    reg = default_registry()
    _, (ga4,) = await seeded_sources(db, ctx.principal.account_id)
    prop = ga4.property.property_id
    start, end = LAST_30
    sources = await ga4.source_daily(prop, start, end)
    pages = await ga4.page_daily(prop, start, end)
    metrics = await reg.call("get_ga4_metrics", {"start_date": str(start), "end_date": str(end)}, ctx)
    totals = metrics["totals"]
    sessions = sum(r.sessions for r in sources)
    assert metrics["property_id"] == prop
    assert totals["sessions"] == sessions and totals["users"] == sum(r.users for r in sources)
    assert totals["page_views"] == sum(p.page_views for p in pages)
    assert totals["conversions"] == sum(r.conversions for r in sources)
    assert totals["engagement_rate"] == pytest.approx(
        sum(r.engaged_sessions for r in sources) / sessions, abs=1e-6
    )
    assert len(metrics["daily_breakdown"]) == 30
    assert sum(d["sessions"] for d in metrics["daily_breakdown"]) == sessions

    top = await reg.call("get_top_pages", {"property_id": prop, "limit": 3}, ctx)
    views: dict[str, int] = defaultdict(int)
    for p in pages:
        views[p.page_path] += p.page_views
    best = sorted(views.items(), key=lambda kv: -kv[1])[:3]
    assert [(p["page_path"], p["page_views"]) for p in top["pages"]] == best
    assert top["total_page_views"] == sum(views.values()) and top["total_pages"] == len(views)

    traffic = await reg.call("get_traffic_sources", {}, ctx)
    per_source: dict[str, int] = defaultdict(int)
    for r in sources:
        per_source[f"{r.source}/{r.medium}"] += r.sessions
    assert {f"{s['source']}/{s['medium']}": s["sessions"] for s in traffic["sources"]} == per_source
    assert traffic["total_sessions"] == sessions
    assert sum(s["share"] for s in traffic["sources"]) == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(NotFound):
        await reg.call("get_ga4_metrics", {"property_id": "999"}, ctx)


async def test_unknown_ids_are_not_found(ctx: ToolContext) -> None:
    reg = default_registry()
    with pytest.raises(NotFound, match="Ad account 123 not found"):
        await reg.call("get_ad_performance", {"ad_account_id": "123"}, ctx)
    with pytest.raises(NotFound, match="Campaign 42 not found"):
        await reg.call("get_ad_performance", {"campaign_id": "42"}, ctx)
    with pytest.raises(NotFound):
        await reg.call("get_campaigns", {"ad_account_id": "act_1"}, ctx)


async def add_demo_connections(db: Database, account_id: str, seed: str) -> None:
    async with db.session() as s:
        for platform in ("google_ads", "meta_ads", "ga4"):
            s.add(
                Connection(
                    id=new_id("conn"),
                    account_id=account_id,
                    platform=platform,
                    name=f"{platform} demo",
                    settings={"mode": "demo", "seed": seed},
                )
            )
        await s.commit()


async def test_two_accounts_see_only_their_own_metrics(
    db: Database, ctx: ToolContext, settings: Settings
) -> None:
    reg = default_registry()
    bare = ToolContext((await new_identity(db, "NoAds")).principal(), db, settings)
    assert (await reg.call("list_ad_accounts", {}, bare))["total"] == 0
    empty = await reg.call("get_ad_performance", {}, bare)
    assert empty["totals"]["impressions"] == 0 and empty["totals"]["ctr"] is None
    assert empty["totals"]["cpc"] is None and empty["totals"]["roas"] is None
    assert (await reg.call("get_campaigns", {}, bare))["total"] == 0
    assert (await reg.call("quick_insights", {}, bare))["facts"] == []
    with pytest.raises(NotFound, match="No GA4 property"):
        await reg.call("get_ga4_metrics", {}, bare)
    demo_account = (await reg.call("list_ad_accounts", {}, ctx))["accounts"][0]["id"]
    with pytest.raises(NotFound):
        await reg.call("get_ad_performance", {"ad_account_id": demo_account}, bare)

    other = await new_identity(db, "OtherAds")
    await add_demo_connections(db, other.account.id, "other-seed")
    octx = ToolContext(other.principal(), db, settings)
    mine = {a["id"] for a in (await reg.call("list_ad_accounts", {}, octx))["accounts"]}
    theirs = {a["id"] for a in (await reg.call("list_ad_accounts", {}, ctx))["accounts"]}
    assert len(mine) == 4 and not mine & theirs
    rows = [
        r for p in ("google_ads", "meta_ads") for r in await DemoAdSource(p, "other-seed").ad_daily(*LAST_30)
    ]
    check_totals((await reg.call("get_ad_performance", {}, octx))["totals"], rows)


async def test_permission_is_checked_in_the_tool_layer(
    db: Database, ctx: ToolContext, settings: Settings
) -> None:
    reg = default_registry()
    blind = Principal(
        ctx.principal.user_id, ctx.principal.account_id, "Viewer", frozenset({"chat", "crm.read"})
    )
    bctx = ToolContext(blind, db, settings)
    names = (
        "list_ad_accounts",
        "get_campaigns",
        "get_ad_performance",
        "list_ga4_properties",
        "get_ga4_metrics",
    )
    for name in (*names, "get_top_pages", "get_traffic_sources", "quick_insights"):
        assert reg.get(name).permission == "can_view_analytics"
        with pytest.raises(Forbidden):
            await reg.call(name, {}, bctx)
        with pytest.raises(Forbidden):  # the function itself refuses, not only the registry
            await reg.get(name).fn(bctx)
    assert not {s.name for s in reg.visible_to(blind)} & set(names)
