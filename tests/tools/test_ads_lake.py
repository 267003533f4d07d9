"""Ad rows imported into the lake join the demo connection's rows in every ad tool."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import timedelta

import pyarrow as pa
import pytest
from sqlalchemy import select

from frontdesk import clock
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.lake import Lake
from frontdesk.storage.lake.schema import SCHEMAS
from frontdesk.storage.models import Connection
from frontdesk.tools.ads.demo import DemoAdSource
from frontdesk.tools.ads.rows import AdDailyRow
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from tests.conftest import demo_identity

pytestmark = pytest.mark.usefixtures("pinned_today")

TODAY = clock.today()


def write_lake(settings: Settings, account_id: str, rows: list[AdDailyRow]) -> None:
    table = pa.Table.from_pylist([asdict(r) for r in rows], schema=SCHEMAS["ad_daily_metrics"])
    Lake.for_settings(settings).write(account_id, "conn:csv-import", "ad_daily_metrics", table)


async def test_lake_rows_are_merged_and_replace_the_same_day(db: Database, settings: Settings) -> None:
    identity = await demo_identity(db)
    ctx = ToolContext(identity.principal(), db, settings)
    async with db.session() as s:
        google = await s.scalar(
            select(Connection).where(
                Connection.account_id == identity.account.id, Connection.platform == "google_ads"
            )
        )
    assert google is not None
    demo = await DemoAdSource("google_ads", google.id).ad_daily(TODAY - timedelta(days=6), TODAY)
    corrected = replace(demo[0], impressions=demo[0].impressions + 1000, spend=demo[0].spend + 10.0)
    imported = AdDailyRow(
        TODAY, "google_ads", "5550001111", "777", "Imported campaign", 500, 20, 12.5, 2.0, 80.0, "USD"
    )
    write_lake(settings, identity.account.id, [corrected, imported])

    reg = default_registry()
    perf = await reg.call(
        "get_ad_performance", {"platform": "google_ads", "start_date": str(TODAY - timedelta(days=6))}, ctx
    )
    expected = [corrected, imported, *demo[1:]]
    assert perf["totals"]["impressions"] == sum(r.impressions for r in expected)
    assert perf["totals"]["spend"] == round(sum(r.spend for r in expected), 2)
    accounts = await reg.call("list_ad_accounts", {"platform": "google_ads"}, ctx)
    assert {a["id"]: a["source"] for a in accounts["accounts"]}["5550001111"] == "lake"
    campaigns = await reg.call("get_campaigns", {"ad_account_id": "5550001111"}, ctx)
    assert [(c["id"], c["metrics"]["clicks"]) for c in campaigns["campaigns"]] == [("777", 20)]

    euro = AdDailyRow(TODAY, "meta_ads", "act_9", "9", "Euro campaign", 100, 5, 7.0, 1.0, 20.0, "EUR")
    write_lake(settings, identity.account.id, [corrected, imported, euro])
    mixed = (await reg.call("get_ad_performance", {}, ctx))["totals"]
    assert (
        mixed["currency"] is None and mixed["spend"] is None and mixed["by_currency"]["EUR"]["spend"] == 7.0
    )
    assert mixed["clicks"] > 0 and mixed["ctr"] is not None
