"""Ad metrics, GA4 and quick insights over real HTTP, checked against the rows of the account's
demo connections; another account sees none of them; no permission is a 403."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import update

from frontdesk import clock
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id
from frontdesk.storage.models import Connection, Membership
from frontdesk.tools.ads.demo import DemoAdSource, DemoGA4Source
from tests.conftest import auth, demo_login, register

pytestmark = pytest.mark.usefixtures("pinned_today")

T = TypeVar("T")
TODAY = clock.today()


def run_db(settings: Settings, fn: Callable[[Database], Awaitable[T]]) -> T:
    """Run `fn` against the server's database from a synchronous test."""

    async def go() -> T:
        db = Database(settings.resolved_database_url)
        try:
            return await fn(db)
        finally:
            await db.close()

    return asyncio.run(go())


def with_demo_ads(client: httpx.Client, settings: Settings) -> tuple[dict[str, str], str]:
    """A new account whose google_ads, meta_ads and ga4 connections serve demo data; (headers, seed)."""
    tokens = register(client, "Marketer")
    account_id = str(tokens["account"]["account_id"])  # type: ignore[index]
    seed = f"seed-{uuid.uuid4().hex[:8]}"

    async def add(db: Database) -> None:
        async with db.session() as s:
            for platform in ("google_ads", "meta_ads", "ga4"):
                s.add(
                    Connection(
                        id=new_id("conn"),
                        account_id=account_id,
                        platform=platform,
                        name=platform,
                        settings={"mode": "demo", "seed": seed},
                    )
                )
            await s.commit()

    run_db(settings, add)
    return auth(tokens), seed


def set_permissions(settings: Settings, tokens: dict[str, Any], permissions: list[str]) -> None:
    async def change(db: Database) -> None:
        async with db.session() as s:
            await s.execute(
                update(Membership)
                .where(Membership.user_id == tokens["user"]["user_id"])
                .values(permissions=permissions)
            )
            await s.commit()

    run_db(settings, change)


def ad_rows(seed: str, start: Any, end: Any) -> list[Any]:
    async def rows() -> list[Any]:
        return [
            r for p in ("google_ads", "meta_ads") for r in await DemoAdSource(p, seed).ad_daily(start, end)
        ]

    return asyncio.run(rows())


def test_accounts_campaigns_and_performance(client: httpx.Client, server_settings: Settings) -> None:
    headers, seed = with_demo_ads(client, server_settings)
    accounts = client.get("/api/v1/ads/accounts", headers=headers)
    assert accounts.status_code == 200, accounts.text
    assert accounts.json()["total"] == 4
    start, end = TODAY - timedelta(days=13), TODAY
    rows = ad_rows(seed, start, end)
    r = client.get(
        "/api/v1/ads/performance", params={"start_date": str(start), "end_date": str(end)}, headers=headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    totals = body["totals"]
    assert totals["impressions"] == sum(x.impressions for x in rows)
    assert totals["clicks"] == sum(x.clicks for x in rows)
    assert totals["spend"] == pytest.approx(sum(x.spend for x in rows))
    assert totals["conversions"] == pytest.approx(sum(x.conversions for x in rows))
    assert totals["roas"] == pytest.approx(
        sum(x.conversion_value for x in rows) / sum(x.spend for x in rows), abs=1e-4
    )
    assert len(body["daily_breakdown"]) == 14
    assert body["daily_breakdown"][-1]["clicks"] == sum(x.clicks for x in rows if x.date == end)

    account = rows[0].ad_account_id
    mine = [x for x in rows if x.ad_account_id == account]
    r = client.get(
        f"/api/v1/ads/accounts/{account}/performance", params={"start_date": str(start)}, headers=headers
    )
    assert r.json()["totals"]["impressions"] == sum(x.impressions for x in mine)
    r = client.get(
        f"/api/v1/ads/accounts/{account}/campaigns", params={"start_date": str(start)}, headers=headers
    )
    campaigns = r.json()["campaigns"]
    assert {x.campaign_id for x in mine} <= {c["id"] for c in campaigns}
    for c in campaigns:
        assert c["metrics"]["clicks"] == sum(x.clicks for x in mine if x.campaign_id == c["id"])
    listed = client.get(
        "/api/v1/ads/campaigns", params={"platform": "meta_ads", "limit": 2}, headers=headers
    ).json()
    assert listed["total"] == 5 and len(listed["campaigns"]) == 2 and listed["has_more"] is True


def test_ga4_and_quick_insights(client: httpx.Client, server_settings: Settings) -> None:
    headers, seed = with_demo_ads(client, server_settings)
    props = client.get("/api/v1/ga4/properties", headers=headers).json()["properties"]
    prop = DemoGA4Source(seed).property.property_id
    assert [p["property_id"] for p in props] == [prop]
    start = TODAY - timedelta(days=6)
    sources = asyncio.run(DemoGA4Source(seed).source_daily(prop, start, TODAY))
    pages = asyncio.run(DemoGA4Source(seed).page_daily(prop, start, TODAY))
    base = f"/api/v1/ga4/properties/{prop}"
    metrics = client.get(f"{base}/metrics", params={"start_date": str(start)}, headers=headers).json()
    assert metrics["totals"]["sessions"] == sum(x.sessions for x in sources)
    assert metrics["totals"]["page_views"] == sum(x.page_views for x in pages)
    top = client.get(
        f"{base}/top-pages", params={"start_date": str(start), "limit": 1}, headers=headers
    ).json()
    home = sum(x.page_views for x in pages if x.page_path == "/")
    assert top["pages"] == [top["pages"][0]] and top["pages"][0]["page_views"] == home
    traffic = client.get(f"{base}/traffic-sources", params={"start_date": str(start)}, headers=headers).json()
    assert sum(s["sessions"] for s in traffic["sources"]) == metrics["totals"]["sessions"]
    assert client.get("/api/v1/ga4/properties/1/metrics", headers=headers).status_code == 404

    r = client.post("/api/v1/insights/quick", json={"date_range": "7_days"}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True and body["compared_with"]["days"] == 7
    spend = next(f for f in body["facts"] if f["key"] == "spend")
    cur, prev = (
        ad_rows(seed, start, TODAY),
        ad_rows(seed, start - timedelta(days=7), start - timedelta(days=1)),
    )
    assert spend["raw_value"] == pytest.approx(sum(x.spend for x in cur))
    assert spend["previous_value"] == pytest.approx(sum(x.spend for x in prev))
    assert {f["trend"] for f in body["facts"]} <= {"up", "down", "flat"}
    bad = client.post("/api/v1/insights/quick", json={"date_range": "forever"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["detail"]


def test_bad_dates_are_400_with_detail(client: httpx.Client) -> None:
    headers = demo_login(client)
    r = client.get(
        "/api/v1/ads/performance",
        params={"start_date": "2026-02-01", "end_date": "2026-01-01"},
        headers=headers,
    )
    assert r.status_code == 400 and "after end_date" in r.json()["detail"]
    r = client.get(
        "/api/v1/ads/campaigns",
        params={"start_date": "2024-01-01", "end_date": "2026-01-01"},
        headers=headers,
    )
    assert r.status_code == 400 and "longest allowed is 366 days" in r.json()["detail"]
    r = client.get("/api/v1/ads/performance", params={"start_date": "01/02/2026"}, headers=headers)
    assert r.status_code == 422
    r = client.post(
        "/api/v1/insights/quick", json={"start_date": "2026-03-01", "end_date": "2026-02-01"}, headers=headers
    )
    assert r.status_code == 400 and r.json()["detail"]


def test_demo_account_has_its_demo_connections(client: httpx.Client) -> None:
    headers = demo_login(client)
    accounts = client.get("/api/v1/ads/accounts", headers=headers).json()
    assert accounts["total"] == 4
    assert {c["platform"]: c["mode"] for c in accounts["connections"]} == {
        "google_ads": "demo",
        "meta_ads": "demo",
        "ga4": "demo",
    }
    assert client.get("/api/v1/ga4/properties", headers=headers).json()["total"] == 1


def test_isolation_and_refusals(client: httpx.Client, server_settings: Settings) -> None:
    demo_headers = demo_login(client)
    demo_account = client.get("/api/v1/ads/accounts", headers=demo_headers).json()["accounts"][0]["id"]
    tokens = register(client, "Outsider")
    headers = auth(tokens)
    assert client.get("/api/v1/ads/accounts", headers=headers).json()["total"] == 0
    assert client.get("/api/v1/ads/campaigns", headers=headers).json()["total"] == 0
    r = client.get(f"/api/v1/ads/accounts/{demo_account}/performance", headers=headers)
    assert r.status_code == 404 and r.json()["detail"] == f"Ad account {demo_account} not found"
    assert client.get("/api/v1/ga4/properties", headers=headers).json()["total"] == 0
    assert client.post("/api/v1/insights/quick", json={}, headers=headers).json()["facts"] == []

    set_permissions(server_settings, tokens, ["chat", "crm.read"])
    for path in ("/api/v1/ads/accounts", "/api/v1/ads/performance", "/api/v1/ga4/properties"):
        r = client.get(path, headers=headers)
        assert r.status_code == 403 and "can_view_analytics" in r.json()["detail"]
    assert client.post("/api/v1/insights/quick", json={}, headers=headers).status_code == 403
    assert client.get("/api/v1/ads/accounts").status_code == 401
