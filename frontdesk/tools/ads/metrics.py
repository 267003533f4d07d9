"""Date ranges and the arithmetic of ad and GA4 metrics: sums, derived rates, daily series.

Derived metrics (None when the denominator is zero, never a division error):
CTR = clicks / impressions, CPC = spend / clicks, CPM = spend / impressions x 1000,
conversion_rate = conversions / clicks, CPA = spend / conversions, ROAS = conversion_value / spend.
Rates are ratios (0.031 is 3.1%). Money is summed per currency; rows in several currencies give
no money totals, only `by_currency`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from frontdesk import clock
from frontdesk.errors import Invalid
from frontdesk.tools.ads.rows import AdDailyRow, GA4SourceRow

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30


@dataclass(frozen=True, slots=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def previous(self) -> DateRange:
        """The period of equal length that ends the day before this one starts."""
        return DateRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def public(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "days": self.days}


def date_range(start: date | None, end: date | None, *, default_days: int = DEFAULT_RANGE_DAYS) -> DateRange:
    """Validate a requested range (both days inclusive). Neither given: the last `default_days` days
    ending today (UTC); only a start: `default_days` from it, but not past today; only an end: the
    `default_days` ending then. Start after end, or longer than `MAX_RANGE_DAYS`: `Invalid`."""
    today = clock.today()
    end = end or (min(start + timedelta(days=default_days - 1), today) if start else today)
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise Invalid(f"start_date {start} is after end_date {end}")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise Invalid(f"The date range is {days} days long; the longest allowed is {MAX_RANGE_DAYS} days")
    return DateRange(start, end)


def ratio(numerator: float, denominator: float, digits: int = 6) -> float | None:
    return round(numerator / denominator, digits) if denominator else None


def ad_totals(rows: Iterable[AdDailyRow]) -> dict[str, Any]:
    """Summed counts and money with the derived metrics, for any set of canonical ad rows."""
    impressions = clicks = 0
    conversions = 0.0
    money: dict[str, list[float]] = {}
    for r in rows:
        impressions += r.impressions
        clicks += r.clicks
        conversions += r.conversions
        m = money.setdefault(r.currency, [0.0, 0.0])
        m[0] += r.spend
        m[1] += r.conversion_value
    out: dict[str, Any] = {
        "impressions": impressions,
        "clicks": clicks,
        "conversions": round(conversions, 2),
        "ctr": ratio(clicks, impressions),
        "conversion_rate": ratio(conversions, clicks),
    }
    if len(money) > 1:
        out |= {"currency": None, "spend": None, "conversion_value": None}
        out |= {"cpc": None, "cpm": None, "cpa": None, "roas": None}
        out["by_currency"] = {
            c: {"spend": round(s, 2), "conversion_value": round(v, 2)} for c, (s, v) in money.items()
        }
        return out
    currency, (spend, value) = next(iter(money.items())) if money else (None, (0.0, 0.0))
    return out | {
        "currency": currency,
        "spend": round(spend, 2),
        "conversion_value": round(value, 2),
        "cpc": ratio(spend, clicks, 4),
        "cpm": ratio(spend * 1000, impressions, 4),
        "cpa": ratio(spend, conversions, 4),
        "roas": ratio(value, spend, 4),
    }


def ad_daily_series(rows: list[AdDailyRow], period: DateRange) -> list[dict[str, Any]]:
    """One entry per day of the period (days without rows are zeros)."""
    by_day: dict[date, list[AdDailyRow]] = {}
    for r in rows:
        by_day.setdefault(r.date, []).append(r)
    return [{"date": d.isoformat()} | ad_totals(by_day.get(d, [])) for d in period.each_day()]


def ga4_totals(sources: Iterable[GA4SourceRow], page_views: int) -> dict[str, Any]:
    """GA4 property figures: `users` and `new_users` are daily users summed over the days."""
    sessions = users = new_users = engaged = conversions = 0
    duration = 0.0
    for r in sources:
        sessions += r.sessions
        users += r.users
        new_users += r.new_users
        engaged += r.engaged_sessions
        conversions += r.conversions
        duration += r.session_duration
    return {
        "sessions": sessions,
        "users": users,
        "new_users": new_users,
        "page_views": page_views,
        "engaged_sessions": engaged,
        "conversions": conversions,
        "engagement_rate": ratio(engaged, sessions),
        "average_session_duration": ratio(duration, sessions, 1),
        "conversion_rate": ratio(conversions, sessions),
        "pages_per_session": ratio(page_views, sessions, 4),
    }
