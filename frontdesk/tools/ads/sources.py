"""An account's ad and GA4 data: its connections' sources plus the lake's imported rows, merged.

Sources come from the account's active `connections` rows (google_ads, meta_ads, ga4):
`settings.mode == "demo"` serves the seeded demo data (`tools.ads.demo`). Rows imported into the
lake (`storage.lake.read_ad_daily`: CSV exports, synced platforms) join as one more source; where
two sources hold the same (date, platform, ad_account_id, campaign_id), the lake's row wins.
Live platform APIs are not wired in yet: such connections are listed with `served: false`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from frontdesk import clock
from frontdesk.errors import Invalid, NotFound
from frontdesk.storage.models import Connection
from frontdesk.tools.ads.demo import DemoAdSource, DemoGA4Source
from frontdesk.tools.ads.rows import (
    AdAccount,
    AdDailyRow,
    AdMetricsSource,
    Campaign,
    GA4Property,
    GA4Source,
)
from frontdesk.tools.base import ToolContext

PLATFORMS = ("google_ads", "meta_ads", "ga4")
LAKE_LOOKBACK_DAYS = 730  # how far back the lake is read to list its accounts and campaigns


class LakeAdSource:
    """Ad rows imported into the account's lake (an `AdMetricsSource`)."""

    def __init__(self, lake: Any, account_id: str) -> None:
        self.lake, self.account_id = lake, account_id
        self._recent: list[AdDailyRow] | None = None

    async def ad_daily(self, start: date, end: date) -> list[AdDailyRow]:
        from frontdesk.storage.lake import read_ad_daily

        raw = await asyncio.to_thread(read_ad_daily, self.lake, self.account_id, start, end)
        return [
            AdDailyRow(
                date=date.fromisoformat(str(r["date"])[:10]),
                platform=r["platform"],
                ad_account_id=str(r["ad_account_id"]),
                campaign_id=str(r["campaign_id"]),
                campaign_name=r["campaign_name"] or str(r["campaign_id"]),
                impressions=int(r["impressions"] or 0),
                clicks=int(r["clicks"] or 0),
                spend=float(r["spend"] or 0),
                conversions=float(r["conversions"] or 0),
                conversion_value=float(r["conversion_value"] or 0),
                currency=r["currency"] or "",
            )
            for r in raw
        ]

    async def _rows(self) -> list[AdDailyRow]:
        if self._recent is None:
            today = clock.today()
            self._recent = await self.ad_daily(today - timedelta(days=LAKE_LOOKBACK_DAYS), today)
        return self._recent

    async def ad_accounts(self) -> list[AdAccount]:
        seen: dict[tuple[str, str], AdAccount] = {}
        for r in await self._rows():
            seen.setdefault(
                (r.platform, r.ad_account_id),
                AdAccount(r.platform, r.ad_account_id, r.ad_account_id, r.currency, source="lake"),
            )
        return list(seen.values())

    async def campaigns(self) -> list[Campaign]:
        seen: dict[tuple[str, str, str], Campaign] = {}
        for r in await self._rows():
            seen[(r.platform, r.ad_account_id, r.campaign_id)] = Campaign(
                r.platform, r.ad_account_id, r.campaign_id, r.campaign_name
            )
        return list(seen.values())


@dataclass(slots=True)
class AdBook:
    """Every ad and GA4 source of one account."""

    ad_sources: list[AdMetricsSource] = field(default_factory=list)
    ga4_sources: list[GA4Source] = field(default_factory=list)
    connections: list[dict[str, Any]] = field(default_factory=list)

    async def accounts(self, platform: str | None = None) -> list[AdAccount]:
        seen: dict[tuple[str, str], AdAccount] = {}
        for source in self.ad_sources:
            for a in await source.ad_accounts():
                if platform in (None, a.platform):
                    seen.setdefault((a.platform, a.ad_account_id), a)
        return list(seen.values())

    async def account(self, ad_account_id: str, platform: str | None = None) -> AdAccount:
        for a in await self.accounts(platform):
            if a.ad_account_id == ad_account_id:
                return a
        raise NotFound(f"Ad account {ad_account_id} not found")

    async def campaigns(
        self, platform: str | None = None, ad_account_id: str | None = None
    ) -> list[Campaign]:
        seen: dict[tuple[str, str, str], Campaign] = {}
        for source in self.ad_sources:
            for c in await source.campaigns():
                if platform in (None, c.platform) and ad_account_id in (None, c.ad_account_id):
                    seen.setdefault((c.platform, c.ad_account_id, c.campaign_id), c)
        return list(seen.values())

    async def daily(
        self,
        start: date,
        end: date,
        *,
        platform: str | None = None,
        ad_account_id: str | None = None,
        campaign_id: str | None = None,
    ) -> list[AdDailyRow]:
        """Rows in [start, end] matching the filters; a later source's row replaces an earlier one."""
        merged: dict[tuple[date, str, str, str], AdDailyRow] = {}
        for source in self.ad_sources:
            for r in await source.ad_daily(start, end):
                if (
                    platform in (None, r.platform)
                    and ad_account_id in (None, r.ad_account_id)
                    and campaign_id in (None, r.campaign_id)
                ):
                    merged[r.key] = r
        return sorted(merged.values(), key=lambda r: (r.date, r.platform, r.ad_account_id, r.campaign_id))

    async def properties(self) -> list[tuple[GA4Property, GA4Source]]:
        return [(p, source) for source in self.ga4_sources for p in await source.properties()]

    async def ga4_property(self, property_id: str | None) -> tuple[GA4Property, GA4Source]:
        """The property asked for, or the account's only one when `property_id` is None."""
        found = await self.properties()
        if property_id is not None:
            for prop, source in found:
                if prop.property_id == property_id:
                    return prop, source
            raise NotFound(f"GA4 property {property_id} not found")
        if not found:
            raise NotFound("No GA4 property is connected to this account")
        if len(found) > 1:
            ids = ", ".join(p.property_id for p, _ in found)
            raise Invalid(f"This account has {len(found)} GA4 properties; pass property_id (one of {ids})")
        return found[0]


async def _lake(ctx: ToolContext) -> Any | None:
    """The account's lake when it holds imported ad rows (the lake module is imported lazily).
    The directory scan runs in a thread: it is file-system I/O on every ads tool call."""
    from frontdesk.storage.lake import Lake

    lake = Lake.for_settings(ctx.settings)
    try:
        found = await asyncio.to_thread(lake.files, ctx.principal.account_id, "ad_daily_metrics")
    except Invalid:
        return None
    return lake if found else None


async def load_book(ctx: ToolContext) -> AdBook:
    """Build the principal's account's sources from its active ad/analytics connections."""
    async with ctx.db.session() as s:
        rows = await s.scalars(
            select(Connection)
            .where(
                Connection.account_id == ctx.principal.account_id,
                Connection.platform.in_(PLATFORMS),
                Connection.status == "active",
            )
            .order_by(Connection.created_at, Connection.id)
        )
        connections = list(rows)
    book = AdBook()
    for conn in connections:
        settings = conn.settings or {}
        served = settings.get("mode") == "demo"
        if served:
            key = str(settings.get("seed") or conn.id)
            if conn.platform == "ga4":
                book.ga4_sources.append(DemoGA4Source(key, conn.id))
            else:
                book.ad_sources.append(DemoAdSource(conn.platform, key, conn.id))
        book.connections.append(
            {
                "id": conn.id,
                "platform": conn.platform,
                "name": conn.name,
                "mode": settings.get("mode"),
                "served": served,
            }
        )
    if (lake := await _lake(ctx)) is not None:
        book.ad_sources.append(LakeAdSource(lake, ctx.principal.account_id))
    return book
