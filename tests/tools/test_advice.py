"""The advice rules on hand-made campaign rows (each rule's edge), and the tools in the registry
(what chat and MCP call) on the demo account."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.tools.ads import advice
from frontdesk.tools.ads.advice_text import advice_text
from frontdesk.tools.ads.metrics import DateRange
from frontdesk.tools.ads.rows import AdDailyRow, Campaign
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from tests.conftest import demo_identity

CUR = DateRange(date(2026, 3, 8), date(2026, 3, 14))
PREV = CUR.previous()


def rows(
    name: str, day: date, spend: float, clicks: int, conversions: float, value: float = 0.0
) -> AdDailyRow:
    return AdDailyRow(
        day, "google_ads", "acc", name, name, clicks * 50, clicks, spend, conversions, value, "USD"
    )


def week(
    name: str, spend: float, clicks: int, conversions: float, value: float, start: date
) -> list[AdDailyRow]:
    """Seven days summing to the given figures (spread evenly)."""
    return [
        rows(name, start + timedelta(days=i), spend / 7, clicks // 7, conversions / 7, value / 7)
        for i in range(7)
    ]


def book(*specs: tuple[str, float, int, float, float, str]) -> list[advice.CampaignStats]:
    data: list[AdDailyRow] = []
    camps = []
    for name, spend, clicks, conv, value, status in specs:
        data += week(name, spend, clicks, conv, value, CUR.start) + week(
            name, spend, clicks, conv, value, PREV.start
        )
        camps.append(Campaign("google_ads", "acc", name, name, status, "SEARCH"))
    return advice.campaign_stats(data, camps, CUR, PREV)


def test_spend_without_conversions_is_paused_first() -> None:
    stats = book(
        ("Good", 1000, 700, 100, 5000, "ENABLED"),  # CPA 10
        ("Dud", 100, 700, 0, 0, "ENABLED"),  # 100 spent, 0 conversions: >= 2 x the account CPA
        ("Pricey", 500, 700, 10, 600, "ENABLED"),  # CPA 50
        ("Stopped", 300, 700, 0, 0, "PAUSED"),
    )
    recs = advice.recommend("optimize", stats)
    assert [(r["action"], r["campaign"]["name"]) for r in recs] == [("pause", "Dud"), ("reduce", "Pricey")]
    assert recs[0]["effect"]["spend_saved"] == pytest.approx(100)
    assert "no conversion" in recs[0]["reason"]


def test_a_small_spend_without_conversions_is_not_judged_yet() -> None:
    stats = book(("Good", 1000, 700, 100, 5000, "ENABLED"), ("New", 15, 70, 0, 0, "ENABLED"))
    assert advice.recommend("optimize", stats) == []


def test_budget_moves_to_the_best_cpa_within_its_room() -> None:
    stats = book(
        ("Best", 200, 700, 40, 2000, "ENABLED"),  # CPA 5
        ("Okay", 2000, 700, 200, 8000, "ENABLED"),  # CPA 10
        ("Worst", 3000, 700, 30, 3300, "ENABLED"),  # CPA 100
    )
    recs = advice.recommend("grow", stats)
    shift = recs[0]
    assert shift["action"] == "shift" and shift["campaign"]["name"] == "Best"
    assert shift["effect"]["from_campaign"]["name"] == "Worst"
    # 20% of Worst's 3,000 is 600, but Best may grow by half of its 200 only
    assert shift["effect"]["budget_moved"] == pytest.approx(100)
    assert shift["effect"]["conversions_gained"] == pytest.approx(100 / 5 - 100 / 100, abs=0.1)
    assert "assumption" in shift["effect"]
    text = advice_text(
        {
            "insight_type": "grow",
            "date_range": CUR.public(),
            "account": advice.blended(stats),
            "recommendations": recs,
        }
    )
    assert "Move 100.00 USD from Worst" in text and "Best" in text


def test_protect_compares_with_the_previous_window() -> None:
    data = week("Rising", 1300, 1000, 20, 0, CUR.start) + week("Rising", 1000, 1000, 20, 0, PREV.start)
    data += week("Steady", 1000, 1000, 20, 0, CUR.start) + week("Steady", 1000, 1000, 20, 0, PREV.start)
    stats = advice.campaign_stats(data, [], CUR, PREV)
    recs = advice.recommend("protect", stats)
    assert {(r["action"], r["campaign"]["name"]) for r in recs} == {
        ("cpc_rising", "Rising"),
        ("cpa_rising", "Rising"),
    }
    cpc = next(r for r in recs if r["action"] == "cpc_rising")
    assert cpc["effect"]["change"] == pytest.approx(0.30, abs=1e-3)
    assert cpc["effect"]["cost"] == pytest.approx(300, abs=1)


def test_awareness_campaigns_carry_a_note() -> None:
    data = week("Reels", 900, 700, 6, 300, CUR.start) + week("Search", 900, 700, 90, 3000, CUR.start)
    camps = [
        Campaign("google_ads", "acc", "Reels", "Reels", "ACTIVE", "OUTCOME_AWARENESS"),
        Campaign("google_ads", "acc", "Search", "Search", "ACTIVE", "SEARCH"),
    ]
    recs = advice.recommend("optimize", advice.campaign_stats(data, camps, CUR, PREV))
    assert recs[0]["campaign"]["name"] == "Reels" and "awareness" in recs[0]["note"]


async def test_the_tools_are_registered_and_answer(db: Database, settings: Settings) -> None:
    registry = default_registry()
    ctx = ToolContext((await demo_identity(db)).principal("web"), db, settings)
    report = await registry.call("marketing_advice", {"lens": "optimize", "date_range": "30_days"}, ctx)
    assert report["recommendations"] and report["insights"].startswith("Optimization recommendations")
    why = await registry.call("explain_metric", {"metric": "CPC"}, ctx)
    assert why["key"] == "cpc" and why["movers"]
