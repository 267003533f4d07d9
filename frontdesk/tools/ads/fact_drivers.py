"""Why did a metric move? (MIA bronze follow-up): the campaigns that moved an ad metric most.

For a headline fact (`insights.quick_insights`: CTR, CPC, conversions, ...) each campaign's value in
the period is set against the previous period. Counts and money (spend, impressions, clicks,
conversions) rank campaigns by their absolute change; rates (CTR, CPC, CPA, ROAS) by their relative
change weighted by the campaign's share of spend. GA4 metrics are not broken down (by source) yet:
such a fact is answered with the account-level figures only, and says so.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk.errors import Invalid
from frontdesk.tools.ads import advice
from frontdesk.tools.ads.insights import AD_FACTS, GA4_FACTS, period, quick_insights
from frontdesk.tools.ads.sources import load_book
from frontdesk.tools.base import ToolContext

TOP = 3
COUNTS = frozenset({"spend", "impressions", "clicks", "conversions"})


def metric_key(metric: str) -> tuple[str, bool]:
    """(key, is_ad_metric) for a fact's label or key ("CTR", "ctr", "Website conversions")."""
    wanted = metric.strip().lower()
    for label, key, _, _ in AD_FACTS:
        if wanted in (label.lower(), key):
            return key, True
    for label, key, _, _ in GA4_FACTS:
        if wanted in (label.lower(), key):
            return key, False
    names = ", ".join(label for label, *_ in (*AD_FACTS, *GA4_FACTS))
    raise Invalid(f"Unknown metric {metric!r}; one of: {names}")


def _movers(key: str, stats: list[advice.CampaignStats]) -> list[dict[str, Any]]:
    spend = sum(s.now.get("spend") or 0.0 for s in stats) or 1.0
    found = []
    for s in stats:
        now, before = s.now.get(key), s.before.get(key)
        if now is None or before is None:
            continue
        if key in COUNTS:
            weight = abs(now - before)
            change = (now - before) / before if before else None
        elif before:
            change = (now - before) / before
            weight = abs(change) * (s.now.get("spend") or 0.0) / spend
        else:
            continue
        found.append(
            {
                "campaign": s.public(),
                "value": now,
                "previous_value": before,
                "change": change,
                "weight": weight,
            }
        )
    found.sort(key=lambda m: (-m["weight"], m["campaign"]["name"]))
    return found[:TOP]


def _shown(key: str, value: float) -> str:
    if key in ("ctr", "engagement_rate"):
        return f"{value:.2%}"
    if key == "roas":
        return f"{value:.2f}x"
    if key in ("spend", "cpc", "cpa"):
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def drivers_text(report: dict[str, Any]) -> str:
    fact, key = report["fact"], report["key"]
    if fact is None:
        return f"There is no {report['metric']} figure for this period."
    change = f", {fact['change']} {fact['period']}" if fact.get("change") else ""
    lines = [f"{fact['metric']} is {fact['value']} ({fact['trend']}{change})."]
    if not report["is_ad_metric"]:
        lines.append("A breakdown of this website metric by traffic source is not available yet.")
    elif report["movers"]:
        lines.append("The campaigns that moved it most:")
        for m in report["movers"]:
            pct = f" ({m['change']:+.1%})" if m["change"] is not None else ""
            was, now = _shown(key, m["previous_value"]), _shown(key, m["value"])
            lines.append(f"- {m['campaign']['name']}: {was} -> {now}{pct}")
    return "\n".join(lines)


async def explain_metric(
    ctx: ToolContext,
    metric: Annotated[str, Field(max_length=40, description="A fact's metric: CTR, CPC, Conversions, ...")],
    date_range: Annotated[
        Literal["7_days", "14_days", "30_days", "90_days"],
        Field(description="The period ending today: 7, 14, 30 or 90 days."),
    ] = "30_days",
    platforms: Annotated[
        list[Literal["google_ads", "meta_ads", "ga4"]] | None, Field(description="Omit for every one.")
    ] = None,
) -> dict[str, Any]:
    """Why an ad metric moved: its value and change, and the campaigns that moved it most."""
    ctx.require("can_view_analytics")
    key, is_ad = metric_key(metric)
    facts = await quick_insights(ctx, date_range, platforms)
    fact = next((f for f in facts["facts"] if f["key"] == key and (f["platform"] != "ga4") == is_ad), None)
    cur = period(date_range, None, None)
    prev = cur.previous()
    movers: list[dict[str, Any]] = []
    if is_ad:
        book = await load_book(ctx)
        wanted = set(platforms or ("google_ads", "meta_ads"))
        rows = [r for r in await book.daily(prev.start, cur.end) if r.platform in wanted]
        movers = _movers(key, advice.campaign_stats(rows, await book.campaigns(), cur, prev))
    report = {"metric": metric, "key": key, "is_ad_metric": is_ad, "fact": fact, "movers": movers}
    return report | {"date_range": cur.public(), "analysis": drivers_text(report)}
