"""Ad and analytics connections (google_ads, meta_ads, ga4) as lake tables.

Served today by the ads family's demo sources (`settings.mode == "demo"`, `tools.ads.demo`); a
connection without a source is refused with `Invalid`, which a sync of every connection reports
as skipped. The window is the last `DAYS` days up to today (UTC).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pyarrow as pa

from frontdesk import clock
from frontdesk.errors import Invalid
from frontdesk.storage.lake.schema import records_to_table
from frontdesk.storage.models import Connection
from frontdesk.tools.ads.demo import DemoAdSource, DemoGA4Source

AD_PLATFORMS = ("google_ads", "meta_ads")
DAYS = 365


def _key(conn: Connection) -> str:
    settings = conn.settings or {}
    if settings.get("mode") != "demo":
        raise Invalid(f"No data source for {conn.platform} connection {conn.id} (live APIs are not wired in)")
    return str(settings.get("seed") or conn.id)


async def ad_tables(conn: Connection) -> dict[str, pa.Table]:
    """campaigns + ad_daily_metrics (google_ads, meta_ads) or ga4_daily_metrics (ga4)."""
    end = clock.today()
    start = end - timedelta(days=DAYS - 1)
    if conn.platform == "ga4":
        source = DemoGA4Source(_key(conn), conn.id)
        records = []
        for prop in await source.properties():
            for r in await source.source_daily(prop.property_id, start, end):
                rec = asdict(r)
                rec["channel"] = rec.pop("channel_group")
                records.append(rec)
        return {"ga4_daily_metrics": records_to_table("ga4_daily_metrics", records)}
    ads = DemoAdSource(conn.platform, _key(conn), conn.id)
    campaigns = [
        {
            "id": c.campaign_id,
            "platform": c.platform,
            "ad_account_id": c.ad_account_id,
            "name": c.name,
            "status": c.status,
            "objective": c.objective,
        }
        for c in await ads.campaigns()
    ]
    daily = [asdict(r) for r in await ads.ad_daily(start, end)]
    return {
        "campaigns": records_to_table("campaigns", campaigns),
        "ad_daily_metrics": records_to_table("ad_daily_metrics", daily),
    }
