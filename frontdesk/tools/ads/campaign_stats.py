"""Each campaign's figures in a period and in the one before it (`CampaignStats`), and the
account's blended figures per currency: what the advice rules (`advice`) and the fact drivers
(`fact_drivers`) read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from frontdesk.tools.ads.metrics import DateRange, ad_totals
from frontdesk.tools.ads.rows import AdDailyRow, Campaign


@dataclass(frozen=True, slots=True)
class CampaignStats:
    platform: str
    ad_account_id: str
    campaign_id: str
    name: str
    status: str | None
    objective: str | None
    now: dict[str, Any]
    before: dict[str, Any]

    @property
    def active(self) -> bool:
        return (self.status or "").upper() not in ("PAUSED", "REMOVED", "ARCHIVED", "DELETED")

    @property
    def currency(self) -> str:
        return str(self.now.get("currency") or self.before.get("currency") or "")

    def public(self) -> dict[str, Any]:
        return {
            "id": self.campaign_id,
            "name": self.name,
            "platform": self.platform,
            "ad_account_id": self.ad_account_id,
            "status": self.status,
            "objective": self.objective,
        }


def money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}".strip()


def campaign_stats(
    rows: list[AdDailyRow], campaigns: list[Campaign], cur: DateRange, prev: DateRange
) -> list[CampaignStats]:
    """Each campaign's totals in `cur` and in `prev` (rows outside both are ignored)."""
    grouped: dict[tuple[str, str, str], list[AdDailyRow]] = {}
    names: dict[tuple[str, str, str], str] = {}
    for r in rows:
        key = (r.platform, r.ad_account_id, r.campaign_id)
        grouped.setdefault(key, []).append(r)
        names[key] = r.campaign_name
    status = {(c.platform, c.ad_account_id, c.campaign_id): c for c in campaigns}
    out = []
    for key, group in sorted(grouped.items()):
        c = status.get(key)
        out.append(
            CampaignStats(
                *key,
                name=c.name if c else names[key],
                status=c.status if c else None,
                objective=c.objective if c else None,
                now=ad_totals(r for r in group if cur.start <= r.date <= cur.end),
                before=ad_totals(r for r in group if prev.start <= r.date <= prev.end),
            )
        )
    return out


def blended(stats: list[CampaignStats]) -> dict[str, dict[str, Any]]:
    """Per currency: spend, conversions, conversion value, CPA and ROAS of every campaign together."""
    out: dict[str, dict[str, Any]] = {}
    for s in stats:
        if not s.now.get("currency"):
            continue
        t = out.setdefault(s.currency, {"spend": 0.0, "conversions": 0.0, "conversion_value": 0.0})
        t["spend"] += s.now["spend"]
        t["conversions"] += s.now["conversions"]
        t["conversion_value"] += s.now["conversion_value"]
    for t in out.values():
        t["cpa"] = round(t["spend"] / t["conversions"], 4) if t["conversions"] else None
        t["roas"] = round(t["conversion_value"] / t["spend"], 4) if t["spend"] else None
        t["spend"], t["conversion_value"] = round(t["spend"], 2), round(t["conversion_value"], 2)
    return out
