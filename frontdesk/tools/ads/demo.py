"""The demo ad connector: seeded, deterministic daily metrics served offline.

A `connections` row with `settings={"mode": "demo"}` (platform google_ads, meta_ads or ga4) serves
the accounts, campaigns and daily rows below for the `DEMO_DAYS` days ending today (UTC). A day's
figures depend only on the connection's key (`settings["seed"]`, else the connection id), the
campaign (or traffic source, or page) and the date, so they never change once served, whatever
range is asked for. Volumes trend up over the year, dip at weekends and vary day to day.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from frontdesk import clock
from frontdesk.tools.ads.rows import (
    AdAccount,
    AdDailyRow,
    Campaign,
    GA4PageRow,
    GA4Property,
    GA4SourceRow,
)

DEMO_DAYS = 365
_EPOCH = date(2025, 1, 1).toordinal()


@dataclass(frozen=True, slots=True)
class _CampaignSpec:
    name: str
    objective: str
    impressions: int  # a typical weekday
    ctr: float
    cpc: float
    cvr: float  # conversions per click
    aov: float  # value per conversion
    growth: float  # change over a year
    paused_days: int = 0  # paused for the last N days (no delivery)


# platform -> accounts: (name suffix, currency, time zone, campaigns)
_BOOKS: dict[str, tuple[tuple[str, str, str, tuple[_CampaignSpec, ...]], ...]] = {
    "google_ads": (
        (
            "Search",
            "USD",
            "America/New_York",
            (
                _CampaignSpec("Brand Search", "SEARCH", 4200, 0.092, 0.42, 0.11, 92.0, 0.25),
                _CampaignSpec(
                    "Generic Search - Chat Software", "SEARCH", 9800, 0.041, 1.85, 0.045, 140.0, 0.40
                ),
                _CampaignSpec(
                    "Performance Max - Summer", "PERFORMANCE_MAX", 15500, 0.018, 0.95, 0.03, 120.0, -0.10
                ),
            ),
        ),
        (
            "Display & Video",
            "USD",
            "America/New_York",
            (
                _CampaignSpec("Display Remarketing", "DISPLAY", 38000, 0.0052, 0.61, 0.022, 110.0, 0.05),
                _CampaignSpec("YouTube Awareness", "VIDEO", 52000, 0.0031, 0.38, 0.008, 95.0, 0.15, 21),
            ),
        ),
    ),
    "meta_ads": (
        (
            "Prospecting",
            "USD",
            "America/Los_Angeles",
            (
                _CampaignSpec(
                    "Lead Generation - Webinar", "LEAD_GENERATION", 21000, 0.014, 0.88, 0.09, 35.0, 0.55
                ),
                _CampaignSpec(
                    "Lookalike Prospecting 1%", "OUTCOME_SALES", 26000, 0.011, 1.12, 0.035, 130.0, 0.20
                ),
                _CampaignSpec(
                    "Instagram Reels - Awareness", "OUTCOME_AWARENESS", 44000, 0.006, 0.52, 0.006, 80.0, 0.30
                ),
            ),
        ),
        (
            "Retargeting",
            "USD",
            "America/Los_Angeles",
            (
                _CampaignSpec(
                    "Retargeting - Cart Abandoners", "OUTCOME_SALES", 8800, 0.021, 0.74, 0.085, 125.0, -0.05
                ),
                _CampaignSpec("Catalog Sales", "OUTCOME_SALES", 12500, 0.016, 0.69, 0.05, 105.0, 0.10, 12),
            ),
        ),
    ),
}

# GA4: (source, medium, channel group, typical weekday sessions, conversion rate, yearly growth)
_SOURCES = (
    ("google", "organic", "Organic Search", 420, 0.018, 0.30),
    ("(direct)", "(none)", "Direct", 260, 0.025, 0.10),
    ("google", "cpc", "Paid Search", 180, 0.035, 0.35),
    ("facebook", "paid", "Paid Social", 140, 0.015, 0.40),
    ("newsletter", "email", "Email", 60, 0.040, 0.05),
    ("linkedin.com", "referral", "Referral", 35, 0.020, 0.15),
    ("instagram", "social", "Organic Social", 70, 0.008, 0.25),
)
_PAGES = (
    ("/", "Home", 0.28),
    ("/pricing", "Pricing", 0.13),
    ("/features/chat", "Chat everywhere", 0.09),
    ("/blog/ai-agents-for-small-business", "AI agents for small business", 0.08),
    ("/docs/getting-started", "Getting started", 0.07),
    ("/integrations/hubspot", "HubSpot integration", 0.06),
    ("/signup", "Sign up", 0.06),
    ("/contact", "Contact us", 0.05),
    ("/blog/sms-support-playbook", "The SMS support playbook", 0.05),
    ("/about", "About us", 0.04),
    ("/customers", "Customer stories", 0.04),
    ("/careers", "Careers", 0.02),
)


def _digits(key: str, label: str, n: int) -> str:
    value = int(hashlib.sha256(f"{key}|{label}".encode()).hexdigest(), 16)
    return str(10 ** (n - 1) + value % (9 * 10 ** (n - 1)))


def _shape(day: date, growth: float, weekend: float) -> float:
    """Trend x weekly pattern x a gentle yearly wave, the same for every caller."""
    years = (day.toordinal() - _EPOCH) / 365.0
    trend = max(0.2, 1.0 + growth * years)
    week = weekend if day.weekday() >= 5 else 1.0
    season = 1.0 + 0.12 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365.0)
    return trend * week * season


def demo_window(today: date | None = None) -> tuple[date, date]:
    """The days a demo connection has data for: the `DEMO_DAYS` days ending today (UTC)."""
    end = today or clock.today()
    return end - timedelta(days=DEMO_DAYS - 1), end


def _days(start: date, end: date, today: date | None) -> list[date]:
    first, last = demo_window(today)
    lo, hi = max(start, first), min(end, last)
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)] if lo <= hi else []


class DemoAdSource:
    """Google Ads or Meta Ads demo accounts of one connection (an `AdMetricsSource`)."""

    def __init__(self, platform: str, key: str, connection_id: str | None = None, today: date | None = None):
        if platform not in _BOOKS:
            raise ValueError(f"no demo ad data for {platform}")
        self.platform, self.key, self.connection_id, self.today = platform, key, connection_id, today
        self._accounts: list[tuple[AdAccount, list[tuple[Campaign, _CampaignSpec]]]] = []
        for i, (suffix, currency, tz, specs) in enumerate(_BOOKS[platform]):
            raw = _digits(key, f"{platform}:{i}", 10 if platform == "google_ads" else 15)
            account_id = raw if platform == "google_ads" else f"act_{raw}"
            name = f"Demo Co - {suffix}"
            account = AdAccount(platform, account_id, name, currency, tz, "ACTIVE", connection_id, "demo")
            campaigns = []
            for j, spec in enumerate(specs):
                cid = _digits(key, f"{account_id}:{j}", 11 if platform == "google_ads" else 17)
                live = "ENABLED" if platform == "google_ads" else "ACTIVE"
                status = "PAUSED" if spec.paused_days else live
                campaigns.append(
                    (Campaign(platform, account_id, cid, spec.name, status, spec.objective), spec)
                )
            self._accounts.append((account, campaigns))

    async def ad_accounts(self) -> list[AdAccount]:
        return [a for a, _ in self._accounts]

    async def campaigns(self) -> list[Campaign]:
        return [c for _, campaigns in self._accounts for c, _ in campaigns]

    async def ad_daily(self, start: date, end: date) -> list[AdDailyRow]:
        days = _days(start, end, self.today)
        last = demo_window(self.today)[1]
        weekend = 0.72 if self.platform == "google_ads" else 1.12
        rows = []
        for day in days:
            for account, campaigns in self._accounts:
                for campaign, spec in campaigns:
                    if spec.paused_days and (last - day).days < spec.paused_days:
                        continue
                    rng = random.Random(f"{self.key}|{campaign.campaign_id}|{day.isoformat()}")
                    impressions = int(
                        spec.impressions * _shape(day, spec.growth, weekend) * rng.uniform(0.85, 1.15)
                    )
                    clicks = int(impressions * spec.ctr * rng.uniform(0.8, 1.2))
                    spend = round(clicks * spec.cpc * rng.uniform(0.85, 1.15), 2)
                    conversions = float(int(clicks * spec.cvr * rng.uniform(0.6, 1.4) + rng.random()))
                    value = round(conversions * spec.aov * rng.uniform(0.8, 1.2), 2)
                    rows.append(
                        AdDailyRow(
                            date=day,
                            platform=self.platform,
                            ad_account_id=account.ad_account_id,
                            campaign_id=campaign.campaign_id,
                            campaign_name=campaign.name,
                            impressions=impressions,
                            clicks=clicks,
                            spend=spend,
                            conversions=conversions,
                            conversion_value=value,
                            currency=account.currency,
                        )
                    )
        return rows


class DemoGA4Source:
    """One demo GA4 property per connection (a `GA4Source`): traffic sources and pages per day."""

    def __init__(self, key: str, connection_id: str | None = None, today: date | None = None) -> None:
        self.key, self.today = key, today
        self.property = GA4Property(
            _digits(key, "ga4", 9), "Demo Co website", "USD", "America/New_York", connection_id
        )

    async def properties(self) -> list[GA4Property]:
        return [self.property]

    def _check(self, property_id: str) -> bool:
        return property_id == self.property.property_id

    def _sources(self, day: date) -> list[GA4SourceRow]:
        out = []
        for source, medium, group, base, cvr, growth in _SOURCES:
            rng = random.Random(f"{self.key}|ga4|{source}/{medium}|{day.isoformat()}")
            sessions = int(base * _shape(day, growth, 0.78) * rng.uniform(0.85, 1.15))
            users = int(sessions * rng.uniform(0.72, 0.88))
            out.append(
                GA4SourceRow(
                    date=day,
                    property_id=self.property.property_id,
                    source=source,
                    medium=medium,
                    channel_group=group,
                    sessions=sessions,
                    users=users,
                    new_users=int(users * rng.uniform(0.45, 0.7)),
                    engaged_sessions=int(sessions * rng.uniform(0.5, 0.7)),
                    session_duration=round(sessions * rng.uniform(120.0, 200.0), 1),
                    conversions=int(sessions * cvr * rng.uniform(0.6, 1.4) + rng.random()),
                )
            )
        return out

    async def source_daily(self, property_id: str, start: date, end: date) -> list[GA4SourceRow]:
        if not self._check(property_id):
            return []
        return [row for day in _days(start, end, self.today) for row in self._sources(day)]

    async def page_daily(self, property_id: str, start: date, end: date) -> list[GA4PageRow]:
        if not self._check(property_id):
            return []
        out = []
        for day in _days(start, end, self.today):
            sessions = sum(r.sessions for r in self._sources(day))
            rng = random.Random(f"{self.key}|ga4|pages|{day.isoformat()}")
            views = sessions * rng.uniform(2.1, 2.7)
            for path, title, weight in _PAGES:
                page_views = int(views * weight * rng.uniform(0.8, 1.2))
                users = int(page_views * rng.uniform(0.6, 0.8))
                out.append(GA4PageRow(day, self.property.property_id, path, title, page_views, users))
        return out
