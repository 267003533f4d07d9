"""Advice from ad data (MIA grow / optimize / protect): deterministic recommendations per campaign.

Every campaign is measured over the period and over the previous period of equal length
(`metrics.ad_totals`). The account's *blended CPA* (spend / conversions, per currency) is the yard
stick. The rules, each a marketer's rule of thumb with its threshold below:

- optimize / `pause`: an active campaign that spent at least `PAUSE_AFTER_CPAS` x the blended
  CPA (and `MIN_SPEND`) with no conversion. Effect: that spend saved, no conversion lost.
- optimize / `reduce`: an active campaign with at least `MIN_CONVERSIONS` conversions whose CPA is
  `REDUCE_ABOVE` x the blended CPA or more, or whose ROAS is under 1 (it returns less than it
  costs). Effect of cutting `SHIFT_SHARE` of its spend: spend saved, conversions lost at its CPA.
  Optimize lists pauses first (their CPA is unbounded), then reductions by CPA, worst first.
- grow / `shift`: `SHIFT_SHARE` of each reduced campaign's spend (worst CPA first) moved to the
  active campaign with the best CPA (at most `WINNER_BELOW` x the blended CPA) that still has room:
  a campaign takes at most `MAX_GROWTH` of its own spend more. Effect: conversions
  and conversion value gained, assuming each campaign's average CPA and ROAS hold for the moved
  money (diminishing returns make the real gain smaller: said in `assumption`).
- grow / `scale` (when nothing is worth cutting): `SHIFT_SHARE` more budget for the best campaign.
- grow / `reactivate`: a paused campaign whose CPA in the period was a winner's.
- protect: CPC up `CPC_RISE` or more, CTR down `CTR_FALL` or more, CPA up `CPA_RISE` or more
  against the previous period (with `MIN_CLICKS` clicks / `MIN_CONVERSIONS` conversions in both),
  ordered by what the move cost in the period.

Awareness campaigns (objective naming awareness, reach, video, brand) carry a `note`: CPA is not
their only measure. Campaigns are only compared within one currency. Numbers are rounded for
people in `reason`; `metrics` and `effect` keep them for programs.
"""

from __future__ import annotations

from typing import Any, Literal

from frontdesk.tools.ads.campaign_stats import CampaignStats, blended, campaign_stats, money

__all__ = ["THRESHOLDS", "CampaignStats", "blended", "campaign_stats", "money", "recommend"]

Lens = Literal["grow", "optimize", "protect"]
PAUSE_AFTER_CPAS = 2.0
MIN_SPEND = 20.0
MIN_CONVERSIONS = 5
MIN_CLICKS = 100
REDUCE_ABOVE = 1.5
WINNER_BELOW = 0.8
SHIFT_SHARE = 0.2
MAX_GROWTH = 0.5  # a receiving campaign takes at most this share of its own spend more
AWARENESS = ("AWARENESS", "REACH", "VIDEO", "BRAND")
CPC_RISE = 0.10
CTR_FALL = 0.10
CPA_RISE = 0.15
SHIFT_ASSUMPTION = (
    "Assumes each campaign keeps its average CPA and ROAS for the moved budget; "
    "diminishing returns usually make the real gain smaller."
)


def _rec(lens: Lens, action: str, s: CampaignStats, reason: str, effect: dict[str, Any]) -> dict[str, Any]:
    m = s.now
    metrics = {k: m.get(k) for k in ("spend", "conversions", "cpa", "roas", "ctr", "cpc", "clicks")}
    rec = {
        "lens": lens,
        "action": action,
        "campaign": s.public(),
        "currency": s.currency,
        "metrics": metrics,
        "previous": {k: s.before.get(k) for k in ("spend", "conversions", "cpa", "ctr", "cpc", "clicks")},
        "reason": reason,
        "effect": effect,
        "note": None,
    }
    if any(word in (s.objective or "").upper() for word in AWARENESS):
        rec["note"] = f"{s.name} is an awareness campaign: weigh its reach, not only its CPA."
    return rec


def _pauses(stats: list[CampaignStats], account: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for s in stats:
        cpa = account.get(s.currency, {}).get("cpa")
        spend = s.now.get("spend") or 0.0
        floor = max(MIN_SPEND, PAUSE_AFTER_CPAS * cpa) if cpa else MIN_SPEND
        if s.active and s.now["conversions"] == 0 and spend >= floor:
            reason = f"{s.name} spent {money(spend, s.currency)} with no conversion"
            if cpa:
                reason += f" (the account's CPA is {money(cpa, s.currency)})"
            effect = {
                "spend_saved": spend,
                "conversions_lost": 0.0,
                "summary": f"save {money(spend, s.currency)}",
            }
            found.append(_rec("optimize", "pause", s, reason, effect))
    return sorted(found, key=lambda r: -r["metrics"]["spend"])


def _is_loser(s: CampaignStats, account_cpa: float | None) -> bool:
    m = s.now
    if not s.active or m["conversions"] < MIN_CONVERSIONS or m.get("cpa") is None:
        return False
    costly = account_cpa is not None and m["cpa"] >= REDUCE_ABOVE * account_cpa
    losing = m.get("roas") is not None and m["conversion_value"] > 0 and m["roas"] < 1
    return costly or losing


def _reductions(stats: list[CampaignStats], account: dict[str, dict[str, Any]]) -> list[CampaignStats]:
    losers = [s for s in stats if _is_loser(s, account.get(s.currency, {}).get("cpa"))]
    return sorted(losers, key=lambda s: (-s.now["cpa"], s.name))


def _reduce_rec(s: CampaignStats, account: dict[str, dict[str, Any]]) -> dict[str, Any]:
    m, cur = s.now, s.currency
    cut = round(SHIFT_SHARE * m["spend"], 2)
    lost = round(cut / m["cpa"], 1)
    reason = f"{s.name}: CPA {money(m['cpa'], cur)}"
    if (acpa := account[cur]["cpa"]) is not None:
        reason += f", {m['cpa'] / acpa:.1f}x the account's {money(acpa, cur)}"
    if m.get("roas") is not None:
        reason += f"; ROAS {m['roas']:.2f}x"
    effect = {
        "spend_saved": cut,
        "conversions_lost": lost,
        "summary": f"cut {SHIFT_SHARE:.0%} ({money(cut, cur)}): about {lost:g} fewer conversions",
    }
    return _rec("optimize", "reduce", s, reason, effect)


def _winners(
    stats: list[CampaignStats], account: dict[str, dict[str, Any]], active: bool
) -> list[CampaignStats]:
    def wins(s: CampaignStats) -> bool:
        acpa = account.get(s.currency, {}).get("cpa")
        m = s.now
        return (
            s.active == active
            and acpa is not None
            and m["conversions"] >= MIN_CONVERSIONS
            and m.get("cpa") is not None
            and m["cpa"] <= WINNER_BELOW * acpa
        )

    return sorted((s for s in stats if wins(s)), key=lambda s: (s.now["cpa"], s.name))


def _shift_rec(loser: CampaignStats, winner: CampaignStats, moved: float) -> dict[str, Any]:
    lm, wm, cur = loser.now, winner.now, loser.currency
    gained = round(moved / wm["cpa"] - moved / lm["cpa"], 1)
    value = round(moved * ((wm.get("roas") or 0.0) - (lm.get("roas") or 0.0)), 2)
    reason = (
        f"Move {money(moved, cur)} from {loser.name} (CPA {money(lm['cpa'], cur)}) to {winner.name} "
        f"(CPA {money(wm['cpa'], cur)}"
        + (f", ROAS {wm['roas']:.2f}x" if wm.get("roas") is not None else "")
        + ")"
    )
    effect = {
        "budget_moved": moved,
        "from_campaign": loser.public(),
        "conversions_gained": gained,
        "value_gained": value,
        "summary": f"about {gained:+g} conversions for the same spend",
        "assumption": SHIFT_ASSUMPTION,
    }
    return _rec("grow", "shift", winner, reason, effect)


def _grow(stats: list[CampaignStats], account: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    recs: list[dict[str, Any]] = []
    for currency in sorted(account):
        mine = [s for s in stats if s.currency == currency]
        winners = _winners(mine, account, active=True)
        losers = _reductions(mine, account)
        room = {w.campaign_id: MAX_GROWTH * w.now["spend"] for w in winners}
        for loser in losers:  # the worst CPA first, to the best winner with room left
            winner = next((w for w in winners if room[w.campaign_id] >= 1.0), None)
            if winner is None:
                break
            moved = round(min(SHIFT_SHARE * loser.now["spend"], room[winner.campaign_id]), 2)
            room[winner.campaign_id] -= moved
            recs.append(_shift_rec(loser, winner, moved))
        if winners and not losers:
            best = winners[0]
            extra = round(SHIFT_SHARE * best.now["spend"], 2)
            gained = round(extra / best.now["cpa"], 1)
            reason = (
                f"{best.name} converts at {money(best.now['cpa'], currency)} against the account's "
                f"{money(account[currency]['cpa'], currency)}"
            )
            effect = {
                "budget_added": extra,
                "conversions_gained": gained,
                "summary": f"add {money(extra, currency)}: about {gained:+g} conversions",
                "assumption": SHIFT_ASSUMPTION,
            }
            recs.append(_rec("grow", "scale", best, reason, effect))
        for s in _winners(mine, account, active=False):
            reason = (
                f"{s.name} is paused, yet converted at {money(s.now['cpa'], currency)} in the period "
                f"(account {money(account[currency]['cpa'], currency)})"
            )
            effect = {
                "summary": "reactivate it at its previous budget",
                "conversions_in_period": s.now["conversions"],
            }
            recs.append(_rec("grow", "reactivate", s, reason, effect))
    order = {"shift": 0, "scale": 0, "reactivate": 1}
    return sorted(recs, key=lambda r: (order[r["action"]], -(r["effect"].get("conversions_gained") or 0.0)))


def _change(now: float | None, before: float | None) -> float | None:
    return None if not now or not before else (now - before) / before


def _protect(stats: list[CampaignStats]) -> list[dict[str, Any]]:
    recs = []
    for s in (s for s in stats if s.active):
        m, b, cur = s.now, s.before, s.currency
        if m["clicks"] >= MIN_CLICKS and b["clicks"] >= MIN_CLICKS:
            if (c := _change(m.get("cpc"), b.get("cpc"))) is not None and c >= CPC_RISE:
                cost = round(m["clicks"] * (m["cpc"] - b["cpc"]), 2)
                reason = f"{s.name}: CPC rose {c:+.1%}, {money(b['cpc'], cur)} -> {money(m['cpc'], cur)}"
                effect = {"change": round(c, 4), "cost": cost, "summary": f"the rise cost {money(cost, cur)}"}
                recs.append(_rec("protect", "cpc_rising", s, reason, effect))
            if (c := _change(m.get("ctr"), b.get("ctr"))) is not None and c <= -CTR_FALL:
                lost = round(m["impressions"] * (b["ctr"] - m["ctr"]))
                missed = round(lost * (m["conversion_rate"] or 0.0), 1)
                cost = round(missed * (m.get("cpa") or 0.0), 2)  # what buying them back would cost
                reason = f"{s.name}: CTR fell {c:+.1%}, {b['ctr']:.2%} -> {m['ctr']:.2%}"
                effect = {
                    "change": round(c, 4),
                    "clicks_lost": lost,
                    "conversions_lost": missed,
                    "cost": cost,
                    "summary": f"about {lost:,} clicks and {missed:g} conversions lost",
                }
                recs.append(_rec("protect", "ctr_falling", s, reason, effect))
        if m["conversions"] >= MIN_CONVERSIONS and b["conversions"] >= MIN_CONVERSIONS:
            if (c := _change(m.get("cpa"), b.get("cpa"))) is not None and c >= CPA_RISE:
                cost = round(m["conversions"] * (m["cpa"] - b["cpa"]), 2)
                reason = f"{s.name}: CPA rose {c:+.1%}, {money(b['cpa'], cur)} -> {money(m['cpa'], cur)}"
                effect = {"change": round(c, 4), "cost": cost, "summary": f"the rise cost {money(cost, cur)}"}
                recs.append(_rec("protect", "cpa_rising", s, reason, effect))
    return sorted(recs, key=lambda r: (-r["effect"]["cost"], r["campaign"]["name"]))


def recommend(lens: Lens, stats: list[CampaignStats]) -> list[dict[str, Any]]:
    """The lens's recommendations, most important first."""
    account = blended(stats)
    if lens == "optimize":
        return _pauses(stats, account) + [_reduce_rec(s, account) for s in _reductions(stats, account)]
    if lens == "grow":
        return _grow(stats, account)
    return _protect(stats)


THRESHOLDS = {
    "pause_after_cpas": PAUSE_AFTER_CPAS,
    "min_spend": MIN_SPEND,
    "min_conversions": MIN_CONVERSIONS,
    "min_clicks": MIN_CLICKS,
    "reduce_above_account_cpa": REDUCE_ABOVE,
    "winner_below_account_cpa": WINNER_BELOW,
    "shift_share": SHIFT_SHARE,
    "cpc_rise": CPC_RISE,
    "ctr_fall": CTR_FALL,
    "cpa_rise": CPA_RISE,
}
