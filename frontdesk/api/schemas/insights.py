"""MIA insight bodies: quick insights (grow / optimize / protect / summary), the intelligence
snapshot and the bronze highlight / follow-up (`tools.ads.insights`, `tools.ads.fact_drivers`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.api.schemas.ads import Fact
from frontdesk.api.schemas.base import DateRange, Public, Timestamp

RangeName = Literal["7_days", "14_days", "30_days", "90_days"]
PlatformName = Literal["google_ads", "meta", "meta_ads", "ga4"]


class InsightsIn(BaseModel):
    """The seed's body; `session_id` and `user_id` are accepted and not used (the caller is the token)."""

    model_config = ConfigDict(extra="forbid")
    session_id: str | None = Field(default=None, max_length=200)
    user_id: str | None = Field(default=None, max_length=200)
    date_range: RangeName = "30_days"
    platforms: list[PlatformName] | None = Field(default=None, max_length=4)


class CampaignRef(Public):
    id: str
    name: str
    platform: str
    ad_account_id: str
    status: str | None
    objective: str | None


class Recommendation(Public):
    lens: Literal["grow", "optimize", "protect"]
    action: str = Field(
        description="pause, reduce, shift, scale, reactivate, cpc_rising, ctr_falling, cpa_rising"
    )
    campaign: CampaignRef
    currency: str
    metrics: dict[str, float | int | None]
    previous: dict[str, float | int | None]
    reason: str
    effect: dict[str, Any] = Field(description="The expected effect: `summary` plus its figures.")
    note: str | None = None


class AccountTotals(Public):
    spend: float
    conversions: float
    conversion_value: float
    cpa: float | None
    roas: float | None


class QuickInsightsOut(Public):
    success: bool
    insight_type: Literal["grow", "optimize", "protect", "summary"]
    platforms_analyzed: list[str]
    date_range: DateRange
    compared_with: DateRange
    insights: str = Field(description="The prose: a configured model's, else the template's.")
    written_by: str = Field(description="`template` or the model's name.")
    recommendations: list[Recommendation]
    account: dict[str, AccountTotals] = Field(description="Per currency, every analysed campaign together.")
    facts: list[Fact] | None = None
    thresholds: dict[str, float]
    response_time_ms: int


class Snapshot(Public):
    generated_at: Timestamp
    date_range: DateRange
    compared_with: DateRange
    platforms: dict[str, dict[str, Any]] = Field(description="Per platform: its totals for the period.")
    facts: list[Fact]
    recommendations: list[Recommendation]
    account: dict[str, AccountTotals]
    insights: str
    written_by: str


class SnapshotOut(Public):
    success: bool
    snapshot: Snapshot


class HighlightIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str | None = Field(default=None, max_length=200)
    highlight_type: Literal["grow", "optimize", "protect", "summary"] = "summary"
    date_range: RangeName = "30_days"
    platforms: list[PlatformName] | None = Field(default=None, max_length=4)


class HighlightOut(Public):
    success: bool
    highlight_type: str
    date_range: DateRange
    facts: list[Fact]
    response_time_ms: int


class FactContext(BaseModel):
    model_config = ConfigDict(extra="allow")
    metric: str = Field(min_length=1, max_length=40)
    value: str | None = Field(default=None, max_length=100)
    trend: str | None = Field(default=None, max_length=20)


class FollowupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str | None = Field(default=None, max_length=200)
    fact_context: FactContext
    question: str = Field(default="", max_length=2000)
    date_range: RangeName = "30_days"


class Mover(Public):
    campaign: CampaignRef
    value: float
    previous_value: float
    change: float | None
    weight: float


class FollowupOut(Public):
    success: bool
    metric: str
    fact: Fact | None
    movers: list[Mover]
    analysis: str
    written_by: str
