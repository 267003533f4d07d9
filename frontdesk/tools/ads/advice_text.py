"""The templated prose of an advice report (`insights.marketing_advice`): what is written when no
model is configured, and what a model's prose falls back to. Every figure comes from the report."""

from __future__ import annotations

from typing import Any

from frontdesk.tools.ads.advice import money

VERBS = {
    "pause": "Pause",
    "reduce": "Cut budget",
    "shift": "Shift budget",
    "scale": "Scale",
    "reactivate": "Reactivate",
    "cpc_rising": "Watch CPC",
    "ctr_falling": "Refresh creative",
    "cpa_rising": "Check CPA",
}
HEADINGS = {
    "grow": "Growth opportunities",
    "optimize": "Optimization recommendations",
    "protect": "Risks to protect against",
    "summary": "Executive summary",
}
EMPTY = {
    "grow": "No campaign is clearly better than the account average, so there is no budget move to suggest.",
    "optimize": "No active campaign spends without converting or far above the account's CPA.",
    "protect": "No campaign's CPC, CTR or CPA moved the wrong way beyond the thresholds.",
    "summary": "There is no ad data in this period.",
}


def recommendation_line(rec: dict[str, Any]) -> str:
    return (
        f"{VERBS.get(rec['action'], rec['action'])}: {rec['reason']}. Expected: {rec['effect']['summary']}."
    )


def _period(report: dict[str, Any]) -> str:
    r = report["date_range"]
    return f"{r['start']} to {r['end']} ({r['days']} days), compared with the previous {r['days']} days"


def _account_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    for currency, t in sorted(report.get("account", {}).items()):
        cpa = money(t["cpa"], currency) if t["cpa"] is not None else "n/a"
        roas = f"{t['roas']:.2f}x" if t["roas"] is not None else "n/a"
        lines.append(
            f"Account: {money(t['spend'], currency)} spent, {t['conversions']:,.0f} conversions, "
            f"CPA {cpa}, ROAS {roas}."
        )
    return lines


def advice_text(report: dict[str, Any]) -> str:
    """The report as a short text: heading, period, account totals, numbered recommendations."""
    lens = report["insight_type"]
    lines = [f"{HEADINGS[lens]} — {_period(report)}."]
    lines += _account_lines(report)
    if lens == "summary":
        for fact in report.get("facts", []):
            change = f" ({fact['change']})" if fact.get("change") else ""
            lines.append(f"- {fact['platform']} {fact['metric']}: {fact['value']}{change}")
    recs = report["recommendations"]
    if not recs:
        lines.append(EMPTY[lens])
    lines += [f"{i}. {recommendation_line(r)}" for i, r in enumerate(recs, 1)]
    return "\n".join(lines)
