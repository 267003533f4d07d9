"""MIA insights through the real server, checked against figures the test computes itself from the
demo account's campaign rows (`GET /api/v1/ads/campaigns`, one call per window): the worst CPA is
named first under optimize, budget moves from it to the best CPA under grow, protect flags exactly
the campaigns whose CPC / CTR / CPA moved past the thresholds. Streams carry the same prose; the
snapshot's totals, the bronze facts and the async task agree with the synchronous analysis."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from frontdesk import clock
from tests.api.jobs_support import job_settings, wait_until
from tests.conftest import auth, demo_login, register, serve

pytestmark = pytest.mark.usefixtures("pinned_today")

DAYS = {"7_days": 7, "30_days": 30}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        serve(job_settings(tmp_path_factory.mktemp("quick"))) as url,
        httpx.Client(base_url=url, timeout=60) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def demo(api: httpx.Client) -> dict[str, str]:
    return demo_login(api)


def campaigns(
    api: httpx.Client, headers: dict[str, str], days: int, back: int = 0
) -> dict[str, dict[str, Any]]:
    """Campaign name -> {status, spend, conversions, value, clicks, impressions} for the window of
    `days` days ending `back` windows before today."""
    end = clock.today() - timedelta(days=days * back)
    start = end - timedelta(days=days - 1)
    r = api.get(
        "/api/v1/ads/campaigns",
        params={"start_date": str(start), "end_date": str(end), "limit": 100},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    out = {}
    for c in r.json()["campaigns"]:
        m = c["metrics"]
        out[c["name"]] = {
            "status": c["status"],
            "spend": m["spend"],
            "conversions": m["conversions"],
            "value": m["conversion_value"],
            "clicks": m["clicks"],
            "impressions": m["impressions"],
        }
    return out


def account_cpa(now: dict[str, dict[str, Any]]) -> float:
    return sum(c["spend"] for c in now.values()) / sum(c["conversions"] for c in now.values())


def active(c: dict[str, Any]) -> bool:
    return c["status"] not in ("PAUSED",)


def insight(
    api: httpx.Client, headers: dict[str, str], lens: str, date_range: str = "30_days"
) -> dict[str, Any]:
    r = api.post(f"/api/quick-insights/{lens}", headers=headers, json={"date_range": date_range})
    assert r.status_code == 200, r.text
    return r.json()


def test_optimize_names_the_worst_cpa_first(api: httpx.Client, demo: dict[str, str]) -> None:
    now = campaigns(api, demo, 30)
    cpa = account_cpa(now)
    zero = sorted(
        (n for n, c in now.items() if active(c) and c["conversions"] == 0 and c["spend"] >= max(20, 2 * cpa)),
        key=lambda n: -now[n]["spend"],
    )
    costly = [
        n
        for n, c in now.items()
        if active(c)
        and c["conversions"] >= 5
        and (c["spend"] / c["conversions"] >= 1.5 * cpa or 0 < c["value"] < c["spend"])
    ]
    costly.sort(key=lambda n: -now[n]["spend"] / now[n]["conversions"])
    body = insight(api, demo, "optimize")
    recs = body["recommendations"]
    assert [r["campaign"]["name"] for r in recs] == zero + costly
    assert costly, "the demo data has campaigns far above the account's CPA"
    worst = (zero + costly)[0]
    first = recs[0]
    assert first["campaign"]["name"] == worst and first["action"] in ("pause", "reduce")
    assert first["metrics"]["cpa"] == pytest.approx(now[worst]["spend"] / now[worst]["conversions"], rel=1e-3)
    assert body["account"]["USD"]["cpa"] == pytest.approx(cpa, rel=1e-3)
    assert first["effect"]["spend_saved"] == pytest.approx(0.2 * now[worst]["spend"], abs=0.01)
    # the prose names the worst campaign before any other and carries its CPA
    text = body["insights"]
    assert body["written_by"] == "template"
    assert text.index(worst) < min(text.index(n) for n in costly[1:]) if costly[1:] else worst in text
    assert f"{now[worst]['spend'] / now[worst]['conversions']:,.2f}" in text


def test_grow_moves_budget_from_the_worst_to_the_best_cpa(api: httpx.Client, demo: dict[str, str]) -> None:
    now = campaigns(api, demo, 30)
    cpa = account_cpa(now)

    def cpa_of(n: str) -> float:
        return now[n]["spend"] / now[n]["conversions"]

    winners = sorted(
        (n for n, c in now.items() if active(c) and c["conversions"] >= 5 and cpa_of(n) <= 0.8 * cpa),
        key=cpa_of,
    )
    losers = sorted(
        (n for n, c in now.items() if active(c) and c["conversions"] >= 5 and cpa_of(n) >= 1.5 * cpa),
        key=lambda n: -cpa_of(n),
    )
    recs = insight(api, demo, "grow")["recommendations"]
    shifts = [r for r in recs if r["action"] == "shift"]
    assert shifts and winners and losers
    by_source = {r["effect"]["from_campaign"]["name"]: r for r in shifts}
    worst = by_source[losers[0]]
    assert worst["campaign"]["name"] == winners[0]  # the worst CPA's money goes to the best CPA
    moved = worst["effect"]["budget_moved"]
    assert 0 < moved <= 0.2 * now[losers[0]]["spend"] + 0.01
    assert moved <= 0.5 * now[winners[0]]["spend"] + 0.01  # a campaign grows at most by half
    expected = moved / cpa_of(winners[0]) - moved / cpa_of(losers[0])
    assert worst["effect"]["conversions_gained"] == pytest.approx(expected, abs=0.1)
    gains = [r["effect"]["conversions_gained"] for r in shifts]
    assert gains == sorted(gains, reverse=True)
    paused_winners = {
        n for n, c in now.items() if not active(c) and c["conversions"] >= 5 and cpa_of(n) <= 0.8 * cpa
    }
    assert {r["campaign"]["name"] for r in recs if r["action"] == "reactivate"} == paused_winners


@pytest.mark.parametrize("date_range", ["7_days", "30_days"])
def test_protect_flags_what_moved_past_the_thresholds(
    api: httpx.Client, demo: dict[str, str], date_range: str
) -> None:
    days = DAYS[date_range]
    now, before = campaigns(api, demo, days), campaigns(api, demo, days, back=1)
    expected = set()
    for n, c in now.items():
        b = before.get(n)
        if not active(c) or b is None:
            continue
        if c["clicks"] >= 100 and b["clicks"] >= 100:
            if (c["spend"] / c["clicks"]) / (b["spend"] / b["clicks"]) - 1 >= 0.10:
                expected.add(("cpc_rising", n))
            if (c["clicks"] / c["impressions"]) / (b["clicks"] / b["impressions"]) - 1 <= -0.10:
                expected.add(("ctr_falling", n))
        if c["conversions"] >= 5 and b["conversions"] >= 5:
            if (c["spend"] / c["conversions"]) / (b["spend"] / b["conversions"]) - 1 >= 0.15:
                expected.add(("cpa_rising", n))
    recs = insight(api, demo, "protect", date_range)["recommendations"]
    assert {(r["action"], r["campaign"]["name"]) for r in recs} == expected
    costs = [r["effect"]["cost"] for r in recs]
    assert costs == sorted(costs, reverse=True)


def sse(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]


def test_streams_carry_the_same_analysis(api: httpx.Client, demo: dict[str, str]) -> None:
    body = insight(api, demo, "optimize")
    r = api.post("/api/quick-insights/optimize/stream", headers=demo, json={"session_id": "s1"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-accel-buffering"] == "no" and "id: 1" in r.text
    frames = sse(r)
    assert all(not f["done"] for f in frames[:-1]) and frames[-1]["done"] is True
    assert "".join(f["chunk"] for f in frames) == body["insights"]
    assert frames[-1]["recommendations"] == body["recommendations"] and frames[-1]["total_tokens"] > 0
    bad = api.post("/api/quick-insights/scale/stream", headers=demo, json={})
    assert bad.status_code == 422
    assert api.post("/api/quick-insights/grow", json={}).status_code == 401


def test_summary_and_snapshot(api: httpx.Client, demo: dict[str, str]) -> None:
    summary = insight(api, demo, "summary")
    lenses = [r["lens"] for r in summary["recommendations"]]
    assert lenses == [x for x in ("optimize", "grow", "protect") if x in lenses] and "optimize" in lenses
    assert summary["facts"] and "ga4" in summary["platforms_analyzed"]
    for name in ("optimize", "grow"):
        assert insight(api, demo, name)["recommendations"][0] in summary["recommendations"]
    r = api.post("/api/snapshot/generate", headers=demo, json={"platforms": ["google_ads", "meta"]})
    assert r.status_code == 200, r.text
    snap = r.json()["snapshot"]
    assert set(snap["platforms"]) == {"google_ads", "meta_ads"}
    now = campaigns(api, demo, 30)
    total = sum(c["spend"] for c in now.values())
    got = snap["platforms"]["google_ads"]["spend"] + snap["platforms"]["meta_ads"]["spend"]
    assert got == pytest.approx(total, abs=0.05)
    assert snap["generated_at"].endswith("Z")
    streamed = sse(api.post("/api/snapshot/stream", headers=demo, json={}))
    assert streamed[-1]["done"] and streamed[-1]["snapshot"]["recommendations"] == summary["recommendations"]


def test_bronze_highlight_and_followup(api: httpx.Client, demo: dict[str, str]) -> None:
    quick = api.post("/api/v1/insights/quick", headers=demo, json={"date_range": "30_days"}).json()
    r = api.post("/api/bronze/highlight", headers=demo, json={"highlight_type": "protect", "session_id": "x"})
    assert r.status_code == 200, r.text
    assert r.json()["facts"] == [f for f in quick["facts"] if f["sentiment"] == "negative"]
    everything = api.post("/api/bronze/highlight", headers=demo, json={}).json()
    assert everything["facts"] == quick["facts"]
    ctr = next(f for f in quick["facts"] if f["key"] == "ctr")
    r = api.post(
        "/api/bronze/followup",
        headers=demo,
        json={"fact_context": {"metric": "CTR", "value": ctr["value"]}, "question": "Why did CTR move?"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] and body["fact"] == ctr and ctr["value"] in body["analysis"]
    now, before = campaigns(api, demo, 30), campaigns(api, demo, 30, back=1)
    mover = body["movers"][0]
    name = mover["campaign"]["name"]
    assert mover["value"] == pytest.approx(now[name]["clicks"] / now[name]["impressions"], abs=1e-6)
    assert mover["previous_value"] == pytest.approx(
        before[name]["clicks"] / before[name]["impressions"], abs=1e-6
    )
    assert name in body["analysis"]
    unknown = api.post("/api/bronze/followup", headers=demo, json={"fact_context": {"metric": "karma"}})
    assert unknown.status_code == 400 and "CTR" in unknown.json()["detail"]


def test_async_task_gives_the_same_recommendations(api: httpx.Client, demo: dict[str, str]) -> None:
    sync = insight(api, demo, "optimize")
    task_id = api.post("/api/insights/optimize/async", headers=demo, json={}).json()["task_id"]

    def done() -> dict[str, Any] | None:
        body = api.get(f"/api/insights/task/{task_id}", headers=demo).json()
        return body if body["status"] in ("completed", "failed") else None

    task = wait_until(done, timeout=60)
    assert task["status"] == "completed", task
    assert task["result"]["recommendations"] == sync["recommendations"]
    assert sync["insights"] in task["result"]["insights"]


def test_an_account_without_ads_gets_no_advice(api: httpx.Client) -> None:
    headers = auth(register(api))
    body = insight(api, headers, "optimize")
    assert body["recommendations"] == [] and body["platforms_analyzed"] == []
    assert "No active campaign" in body["insights"]
