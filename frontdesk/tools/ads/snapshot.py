"""The intelligence snapshot (MIA): every platform's totals for the period, the headline facts and
the top recommendation of each lens (`insights.marketing_advice(lens="summary")`)."""

from __future__ import annotations

from typing import Any

from frontdesk.errors import NotFound
from frontdesk.storage.ids import iso, utcnow
from frontdesk.tools.ads.insights import marketing_advice, period
from frontdesk.tools.ads.metrics import ad_totals, ga4_totals
from frontdesk.tools.ads.sources import load_book
from frontdesk.tools.base import ToolContext


async def intelligence_snapshot(
    ctx: ToolContext, date_range: str = "30_days", platforms: list[Any] | None = None
) -> dict[str, Any]:
    """The snapshot body; `insights` is the template text (a route may have a model reword it)."""
    summary = await marketing_advice(ctx, "summary", date_range, platforms)  # type: ignore[arg-type]
    cur = period(date_range, None, None)
    book = await load_book(ctx)
    per_platform: dict[str, dict[str, Any]] = {}
    rows = await book.daily(cur.start, cur.end)
    for name in summary["platforms_analyzed"]:
        if name == "ga4":
            try:
                prop, source = await book.ga4_property(None)
            except NotFound:
                continue
            sources = await source.source_daily(prop.property_id, cur.start, cur.end)
            pages = await source.page_daily(prop.property_id, cur.start, cur.end)
            per_platform[name] = ga4_totals(sources, sum(p.page_views for p in pages))
        else:
            per_platform[name] = ad_totals(r for r in rows if r.platform == name)
    return {
        "generated_at": iso(utcnow()),
        "date_range": summary["date_range"],
        "compared_with": summary["compared_with"],
        "platforms": per_platform,
        "facts": summary["facts"],
        "recommendations": summary["recommendations"],
        "insights": summary["insights"],
        "account": summary["account"],
    }
