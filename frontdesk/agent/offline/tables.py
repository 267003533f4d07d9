"""Group-by tables that one tool already split for us: a metric per campaign (`get_campaigns`'
rows) and messages or conversations per channel (`daily_stats`' breakdown). Every figure is the
tool's own; the only arithmetic is the total of an additive metric over the rows shown.
"""

from __future__ import annotations

from typing import Any

from frontdesk.agent.offline.figures import AD_METRICS, show
from frontdesk.agent.offline.request import Plan
from frontdesk.agent.offline.steps import Outcome

ROWS_MAX = 15  # campaigns listed; the rest are counted in a closing line
ADDITIVE = {"spend", "clicks", "impressions", "conversions", "conversion_value"}
PLATFORM_NAMES = {"google_ads": "Google Ads", "meta_ads": "Meta Ads"}


def _note(plan: Plan) -> list[str]:
    return [plan.spec["note"]] if plan.spec.get("note") else []


def write_campaigns(plan: Plan, outcome: Outcome) -> str:
    """ "Spend per campaign": each campaign's figure as `get_campaigns` returned it, best first."""
    if outcome.error:
        return f"I couldn't complete that: {outcome.error}"
    spec = plan.spec
    metric = AD_METRICS[spec.get("metric", "spend")]
    data = outcome.data if isinstance(outcome.data, dict) else {}
    rows = [c for c in data.get("campaigns", []) if isinstance(c.get("metrics"), dict)]
    where = PLATFORM_NAMES.get(str(plan.arguments.get("platform")), "")
    span = spec.get("period", "the last 30 days") + (f", {where} only" if where else "")
    if not rows:
        return "\n".join([f"No campaigns reported {metric.name} for {span}.", *_note(plan)])
    with_value = [c for c in rows if c["metrics"].get(metric.key) is not None]
    without = [c for c in rows if c["metrics"].get(metric.key) is None]
    with_value.sort(key=lambda c: (c["metrics"][metric.key], c["name"]), reverse=not metric.lower_is_better)
    ordered = with_value + sorted(without, key=lambda c: c["name"])
    lines = [*_note(plan), f"{metric.name[:1].upper() + metric.name[1:]} by campaign ({span}):"]
    others = [k for k in ("spend", "conversions", "roas") if k != metric.key][:2]
    for c in ordered[:ROWS_MAX]:
        m, cur = c["metrics"], c["metrics"].get("currency")
        extra = ", ".join(f"{AD_METRICS[k].name} {show(m.get(k), AD_METRICS[k].kind, cur)}" for k in others)
        lines.append(
            f"- {c['name']} [{PLATFORM_NAMES.get(c.get('platform', ''), c.get('platform', ''))}]: "
            f"{show(m.get(metric.key), metric.kind, cur)} ({extra})"
        )
    if len(ordered) > ROWS_MAX:
        lines.append(f"…and {len(ordered) - ROWS_MAX} more campaigns.")
    if metric.key in ADDITIVE and with_value:
        cur = with_value[0]["metrics"].get("currency")
        total = sum(float(c["metrics"][metric.key]) for c in with_value)
        lines.append(f"Total over {len(with_value)} campaigns: {show(total, metric.kind, cur)}.")
    return "\n".join(lines)


def write_stats_groups(plan: Plan, outcome: Outcome) -> str:
    """ "Messages per channel": `daily_stats`' breakdown by channel over its period."""
    if outcome.error:
        return f"I couldn't complete that: {outcome.error}"
    spec = plan.spec
    data: dict[str, Any] = outcome.data if isinstance(outcome.data, dict) else {}
    groups = (data.get("breakdown") or {}).get(spec.get("key", "channel")) or {}
    noun = spec.get("noun", "messages")
    span = data.get("date_range") or {}
    head = f"{noun.capitalize()} by {spec.get('key', 'channel')} ({span.get('start')} to {span.get('end')})"
    if not groups:
        return f"{head}: none in this period."
    rows = sorted(groups.items(), key=lambda kv: (-int(kv[1]), kv[0]))
    lines = [head + ":"] + [f"- {name}: {int(count):,}" for name, count in rows]
    total = int(data.get("total") or 0)
    lines.append(f"Total: {total:,} {noun if total != 1 else noun.removesuffix('s')}.")
    return "\n".join(lines + _note(plan))
