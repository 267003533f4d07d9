"""Google Analytics 4 tools (MIA seed): properties, site metrics, top pages, traffic sources."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import Field

from frontdesk.tools.ads.metrics import date_range, ga4_totals, ratio
from frontdesk.tools.ads.rows import GA4PageRow, GA4SourceRow
from frontdesk.tools.ads.sources import load_book
from frontdesk.tools.base import ToolContext

PropertyArg = Annotated[
    str | None, Field(max_length=32, description="GA4 property id; omit when the account has one property.")
]
StartArg = Annotated[date | None, Field(description="First day, YYYY-MM-DD (default: 30 days before end).")]
EndArg = Annotated[date | None, Field(description="Last day, YYYY-MM-DD, inclusive (default: today, UTC).")]


async def list_ga4_properties(ctx: ToolContext) -> dict[str, Any]:
    """List the Google Analytics 4 properties connected to this account."""
    ctx.require("can_view_analytics")
    found = await (await load_book(ctx)).properties()
    return {
        "properties": [
            {
                "property_id": p.property_id,
                "display_name": p.display_name,
                "currency_code": p.currency,
                "time_zone": p.time_zone,
                "connection_id": p.connection_id,
            }
            for p, _ in found
        ],
        "total": len(found),
    }


async def get_ga4_metrics(
    ctx: ToolContext, property_id: PropertyArg = None, start_date: StartArg = None, end_date: EndArg = None
) -> dict[str, Any]:
    """Website metrics from GA4 over a date range: sessions, users, new users, page views,
    conversions, engagement rate, average session duration, with a daily breakdown."""
    ctx.require("can_view_analytics")
    period = date_range(start_date, end_date)
    prop, source = await (await load_book(ctx)).ga4_property(property_id)
    sources = await source.source_daily(prop.property_id, period.start, period.end)
    pages = await source.page_daily(prop.property_id, period.start, period.end)
    by_day: dict[date, tuple[list[GA4SourceRow], int]] = {d: ([], 0) for d in period.each_day()}
    for r in sources:
        by_day[r.date][0].append(r)
    for p in pages:
        rows, views = by_day[p.date]
        by_day[p.date] = (rows, views + p.page_views)
    return {
        "property_id": prop.property_id,
        "display_name": prop.display_name,
        "date_range": period.public(),
        "totals": ga4_totals(sources, sum(p.page_views for p in pages)),
        "daily_breakdown": [
            {"date": d.isoformat()} | ga4_totals(rows, views) for d, (rows, views) in by_day.items()
        ],
    }


async def get_top_pages(
    ctx: ToolContext,
    property_id: PropertyArg = None,
    start_date: StartArg = None,
    end_date: EndArg = None,
    limit: Annotated[int, Field(ge=1, le=100, description="How many pages, 1-100.")] = 10,
) -> dict[str, Any]:
    """The most viewed pages of the website (GA4) over a date range, with views, users and share."""
    ctx.require("can_view_analytics")
    period = date_range(start_date, end_date)
    prop, source = await (await load_book(ctx)).ga4_property(property_id)
    totals: dict[str, list[Any]] = {}
    pages: list[GA4PageRow] = await source.page_daily(prop.property_id, period.start, period.end)
    for p in pages:
        t = totals.setdefault(p.page_path, [p.page_title, 0, 0])
        t[1] += p.page_views
        t[2] += p.users
    all_views = sum(t[1] for t in totals.values())
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][1], kv[0]))
    return {
        "property_id": prop.property_id,
        "date_range": period.public(),
        "total_page_views": all_views,
        "pages": [
            {
                "page_path": path,
                "page_title": title,
                "page_views": views,
                "users": users,
                "share": ratio(views, all_views, 4),
            }
            for path, (title, views, users) in ranked[:limit]
        ],
        "total_pages": len(ranked),
    }


async def get_traffic_sources(
    ctx: ToolContext, property_id: PropertyArg = None, start_date: StartArg = None, end_date: EndArg = None
) -> dict[str, Any]:
    """Where the website's visitors came from (GA4 source / medium) over a date range: sessions,
    users, conversions, conversion rate and share of sessions, biggest first."""
    ctx.require("can_view_analytics")
    period = date_range(start_date, end_date)
    prop, source = await (await load_book(ctx)).ga4_property(property_id)
    grouped: dict[tuple[str, str, str], list[GA4SourceRow]] = {}
    for r in await source.source_daily(prop.property_id, period.start, period.end):
        grouped.setdefault((r.source, r.medium, r.channel_group), []).append(r)
    all_sessions = sum(r.sessions for rows in grouped.values() for r in rows)
    items = []
    for (src, medium, group), rows in grouped.items():
        sessions = sum(r.sessions for r in rows)
        conversions = sum(r.conversions for r in rows)
        items.append(
            {
                "source": src,
                "medium": medium,
                "channel_group": group,
                "sessions": sessions,
                "users": sum(r.users for r in rows),
                "new_users": sum(r.new_users for r in rows),
                "conversions": conversions,
                "conversion_rate": ratio(conversions, sessions),
                "share": ratio(sessions, all_sessions, 4),
            }
        )
    items.sort(key=lambda i: (-i["sessions"], i["source"], i["medium"]))
    return {
        "property_id": prop.property_id,
        "date_range": period.public(),
        "total_sessions": all_sessions,
        "sources": items,
    }
