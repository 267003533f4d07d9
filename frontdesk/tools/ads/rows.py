"""What ad and analytics sources hand the tools: plain rows, and the two small source interfaces.

`AdDailyRow` is the canonical ad row the lake stores too (`storage.lake.schema`
"ad_daily_metrics"): date, platform, ad_account_id, campaign_id, campaign_name, impressions,
clicks, spend, conversions, conversion_value, currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Protocol

AdPlatform = Literal["google_ads", "meta_ads"]
AD_PLATFORMS: tuple[AdPlatform, ...] = ("google_ads", "meta_ads")


@dataclass(frozen=True, slots=True)
class AdAccount:
    platform: str
    ad_account_id: str
    name: str
    currency: str
    time_zone: str = "UTC"
    status: str = "ACTIVE"
    connection_id: str | None = None
    source: str = "demo"  # demo | lake | an API adapter's name


@dataclass(frozen=True, slots=True)
class Campaign:
    platform: str
    ad_account_id: str
    campaign_id: str
    name: str
    status: str | None = None  # ENABLED / PAUSED (Google), ACTIVE / PAUSED (Meta); None when unknown
    objective: str | None = None


@dataclass(frozen=True, slots=True)
class AdDailyRow:
    date: date
    platform: str
    ad_account_id: str
    campaign_id: str
    campaign_name: str
    impressions: int
    clicks: int
    spend: float
    conversions: float
    conversion_value: float
    currency: str

    @property
    def key(self) -> tuple[date, str, str, str]:
        return (self.date, self.platform, self.ad_account_id, self.campaign_id)


class AdMetricsSource(Protocol):
    """One origin of ad data: a demo connection, the lake's imported rows, a platform API."""

    async def ad_accounts(self) -> list[AdAccount]: ...

    async def campaigns(self) -> list[Campaign]: ...

    async def ad_daily(self, start: date, end: date) -> list[AdDailyRow]:
        """Rows with start <= date <= end."""
        ...


@dataclass(frozen=True, slots=True)
class GA4Property:
    property_id: str
    display_name: str
    currency: str = "USD"
    time_zone: str = "UTC"
    connection_id: str | None = None


@dataclass(frozen=True, slots=True)
class GA4SourceRow:
    """One day of one traffic source (source / medium) of a property."""

    date: date
    property_id: str
    source: str
    medium: str
    channel_group: str
    sessions: int
    users: int
    new_users: int
    engaged_sessions: int
    session_duration: float  # seconds, summed over the sessions
    conversions: int


@dataclass(frozen=True, slots=True)
class GA4PageRow:
    """One day of one page of a property."""

    date: date
    property_id: str
    page_path: str
    page_title: str
    page_views: int
    users: int


class GA4Source(Protocol):
    async def properties(self) -> list[GA4Property]: ...

    async def source_daily(self, property_id: str, start: date, end: date) -> list[GA4SourceRow]: ...

    async def page_daily(self, property_id: str, start: date, end: date) -> list[GA4PageRow]: ...
