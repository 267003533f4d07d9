"""Answers of plans with several calls or a computed shape: comparisons, group-by tables, rankings,
sequences of actions, exports and advice. Each figure is copied from a tool result (a difference
of two returned figures is the only arithmetic), formatted for people (`figures`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from frontdesk.agent.offline import greeting, tables
from frontdesk.agent.offline.figures import AD_METRICS, LEAD_VALUE, WEB_METRICS, Metric, change, money, show
from frontdesk.agent.offline.request import Plan
from frontdesk.agent.offline.steps import Outcome, records

RANK_MAX = 10


def _metric(spec: dict[str, Any]) -> Metric:
    key = spec.get("metric", "total")
    if spec.get("source") == "ads":
        return AD_METRICS[key]
    if spec.get("source") == "web":
        return WEB_METRICS[key]
    if key == "total_value":
        return LEAD_VALUE
    return Metric(key, spec.get("noun", "leads"), "count")


def figure(outcome: Outcome, metric: Metric, spec: dict[str, Any]) -> tuple[Any, str | None]:
    """(value, currency) of `metric` in one result: ads and web figures sit under `totals`."""
    data = outcome.data if isinstance(outcome.data, dict) else {}
    row = data.get("totals", data) if spec.get("source") in {"ads", "web"} else data
    return row.get(metric.key), row.get("currency") or "USD"


def _failed(outcomes: list[Outcome]) -> str | None:
    bad = [o for o in outcomes if o.error]
    if not bad:
        return None
    return "I couldn't complete that: " + "; ".join(f"{o.label or o.tool}: {o.error}" for o in bad)


def write_compare(plan: Plan, outcomes: list[Outcome]) -> str:
    if failed := _failed(outcomes):
        return failed
    metric, spec = _metric(plan.spec), plan.spec
    (a, cur), (b, _) = (figure(o, metric, spec) for o in outcomes[:2])
    la, lb = outcomes[0].label, outcomes[1].label
    title = spec.get("title", metric.name)
    period = f" ({spec['period']})" if spec.get("period") else ""
    lines = [f"{title[:1].upper() + title[1:]}, {la} vs {lb}{period}:"]
    lines += [f"- {la}: {show(a, metric.kind, cur)}", f"- {lb}: {show(b, metric.kind, cur)}"]
    for extra in spec.get("also", []):  # e.g. the lead value beside the lead count
        other = _metric({**spec, "metric": extra})
        x, y = (figure(o, other, spec)[0] for o in outcomes[:2])
        lines.append(f"- {other.name}: {show(x, other.kind, cur)} vs {show(y, other.kind, cur)}")
    lines.append(f"Difference: {change(a, b, metric.kind, cur)} for {la} against {lb}.")
    lengths = [_days(o.arguments) for o in outcomes[:2]]
    if None not in lengths and lengths[0] != lengths[1]:
        lines.append(f"Note: the periods differ in length ({lengths[0]} vs {lengths[1]} days).")
    if a is None or b is None:
        lines.append("Verdict: I can't call it, one figure is missing.")
    elif a == b:
        lines.append(f"Verdict: level, both at {show(a, metric.kind, cur)}.")
    else:
        better_a = (a < b) if metric.lower_is_better else (a > b)
        winner = la if better_a else lb
        if metric.lower_is_better:
            lines.append(f"Verdict: {winner} did better, with the lower {metric.name}.")
        else:
            lines.append(f"Verdict: {winner} is ahead on {metric.name}.")
    return "\n".join(lines)


def _days(args: dict[str, Any]) -> int | None:
    """Days in a call's date range (`start_date`/`end_date` or `created_from`/`created_to`)."""
    start = args.get("start_date") or args.get("created_from")
    end = args.get("end_date") or args.get("created_to")
    if not (start and end):
        return None
    return (date.fromisoformat(end) - date.fromisoformat(start)).days + 1


def write_group(plan: Plan, outcomes: list[Outcome]) -> str:
    if failed := _failed(outcomes):
        return failed
    spec = plan.spec
    if spec.get("source") == "campaigns":
        return tables.write_campaigns(plan, outcomes[0])
    if spec.get("source") == "stats":
        return tables.write_stats_groups(plan, outcomes[0])
    if spec.get("source") == "ads":  # one call, grouped by the tool itself
        metric = AD_METRICS[spec.get("metric", "spend")]
        data = outcomes[0].data or {}
        rows = [(r["platform"], r.get(metric.key), r.get("currency")) for r in data.get("by_platform", [])]
        rows.sort(key=lambda r: -(r[1] or 0))
        lines = [f"{metric.name.capitalize()} by platform ({spec.get('period', 'last 30 days')}):"]
        lines += [f"- {name}: {show(v, metric.kind, cur)}" for name, v, cur in rows]
        total = (data.get("totals") or {}).get(metric.key)
        if total is not None and metric.kind in {"money", "count", "number"}:
            lines.append(f"Total: {show(total, metric.kind, 'USD')}.")
        return "\n".join(lines)
    noun = spec.get("noun", "leads")
    by_value = spec.get("metric") == "total_value"
    rows2 = [(o.label, int(o.data.get("total", 0)), float(o.data.get("total_value") or 0)) for o in outcomes]
    rows2.sort(key=lambda r: (-(r[2] if by_value else r[1]), r[0]))
    head = f"{noun.capitalize()} by {spec.get('key', 'group')}" + (f" ({plan.label})" if plan.label else "")
    lines = [head + ":"]
    for name, n, value in rows2:
        lines.append(f"- {name}: {n:,}" + (f" ({money(value)})" if noun == "leads" else ""))
    total_n = sum(r[1] for r in rows2)
    total_v = sum(r[2] for r in rows2)
    what = noun if total_n != 1 else noun.removesuffix("s")
    lines.append(f"Total: {total_n:,} {what}" + (f" worth {money(total_v)}." if noun == "leads" else "."))
    if total_n:
        top = rows2[0]
        share = (
            (top[2] / total_v if by_value else top[1] / total_n) if (total_v if by_value else total_n) else 0
        )
        lines.append(f"Most: {top[0]} ({share * 100:.1f}% of the {'value' if by_value else noun}).")
    return "\n".join(lines)


def _rank_rows(outcome: Outcome, spec: dict[str, Any]) -> list[dict[str, Any]]:
    data = outcome.data if isinstance(outcome.data, dict) else {}
    if spec.get("of") == "platforms":
        return [{"name": r["platform"], "metrics": r} for r in data.get("by_platform", [])]
    return [{"name": c["name"], "platform": c.get("platform"), "metrics": c.get("metrics") or {}}
            for c in data.get("campaigns", [])]  # fmt: skip


def write_rank(plan: Plan, outcomes: list[Outcome]) -> str:
    if failed := _failed(outcomes):
        return failed
    spec = plan.spec
    if outcomes[0].tool == "list_leads":
        rows, total = records(outcomes[0])
        order = "smallest" if spec.get("order") == "asc" else "biggest"
        what = f"The {len(rows)} {order} leads by value" + (f" ({plan.label})" if plan.label else "")
        if not rows:
            return f"I found no leads{' (' + plan.label + ')' if plan.label else ''}."
        lines = [f"{what}, of {total:,}:"]
        lines += [
            f"{i}. {r['name']}" + (f" ({r['company']})" if r.get("company") else "")
            + f": {money(float(r['value'] or 0))}, {r['status']}, {r['source']}"
            for i, r in enumerate(rows, 1)
        ]  # fmt: skip
        return "\n".join(lines)
    metric = AD_METRICS[spec.get("metric", "spend")]
    best = spec.get("best", True)
    rows = [r for r in _rank_rows(outcomes[0], spec) if r["metrics"].get(metric.key) is not None]
    ascending = metric.lower_is_better == best
    rows.sort(key=lambda r: (r["metrics"][metric.key], r["name"]), reverse=not ascending)
    n = min(int(spec.get("n", 5)), RANK_MAX)
    of = spec.get("of", "campaigns")
    if not rows:
        return f"No {of} had a {metric.name} to rank in this period."
    word = ("best" if best else "worst") if spec.get("judge") else ("top" if best else "bottom")
    if n == 1:
        m, cur = rows[0]["metrics"], rows[0]["metrics"].get("currency")
        where = f" [{rows[0]['platform']}]" if rows[0].get("platform") else ""
        span = f" ({plan.label})" if plan.label else ""
        return (
            f"The {of.removesuffix('s')} with the {word} {metric.name}{span}: {rows[0]['name']}{where}, "
            f"{metric.name} {show(m[metric.key], metric.kind, cur)} "
            f"(spend {show(m.get('spend'), 'money', cur)}, "
            f"conversions {show(m.get('conversions'), 'number', cur)}), of {len(rows)} {of}."
        )
    lines = [
        f"The {word} {min(n, len(rows))} {of} by {metric.name}"
        + (f" ({plan.label})" if plan.label else "")
        + ":"
    ]
    for i, r in enumerate(rows[:n], 1):
        m = r["metrics"]
        cur = m.get("currency")
        where = f" [{r['platform']}]" if r.get("platform") else ""
        others = [k for k in ("spend", "conversions", "clicks") if k != metric.key][:2]
        extra = ", ".join(f"{AD_METRICS[k].name} {show(m.get(k), AD_METRICS[k].kind, cur)}" for k in others)
        lines.append(
            f"{i}. {r['name']}{where}: {metric.name} {show(m[metric.key], metric.kind, cur)} ({extra})"
        )
    return "\n".join(lines)


def write_filter(plan: Plan, outcomes: list[Outcome]) -> str:
    """Campaigns whose returned figure is within the asked bounds."""
    if failed := _failed(outcomes):
        return failed
    spec = plan.spec
    metric = AD_METRICS[spec["metric"]]
    low, high = spec.get("min"), spec.get("max")
    above, below = spec.get("strict", [False, False])
    rows = [
        r
        for r in _rank_rows(outcomes[0], {})
        if (v := r["metrics"].get(metric.key)) is not None
        and (low is None or (v > low if above else v >= low))
        and (high is None or (v < high if below else v <= high))
    ]
    rows.sort(key=lambda r: (-(r["metrics"].get("spend") or 0), r["name"]))
    if not rows:
        return f"No campaign {spec['words']}."
    lines = [f"{len(rows)} campaign{'' if len(rows) == 1 else 's'} {spec['words']}:"]
    for r in rows[:RANK_MAX]:
        m, cur = r["metrics"], r["metrics"].get("currency")
        extra = "" if metric.key == "spend" else f", spend {show(m.get('spend'), 'money', cur)}"
        lines.append(
            f"- {r['name']} [{r['platform']}]: {metric.name} {show(m[metric.key], metric.kind, cur)}{extra}"
        )
    if len(rows) > RANK_MAX:
        lines.append(f"…and {len(rows) - RANK_MAX} more.")
    return "\n".join(lines)


def _done_line(o: Outcome) -> str:
    data = o.data if isinstance(o.data, dict) else {}
    name = data.get("name") or o.label or data.get("id", "")
    if o.error:
        return f"- {o.tool.replace('_', ' ')} {name}: failed ({o.error})"
    if o.tool == "create_contact":
        return f"- Created contact {name} ({data.get('id')})."
    if o.tool == "create_lead":
        worth = money(float(data.get("value") or 0))
        return f"- Created lead {name} ({data.get('id')}): {data.get('source')}, {worth}."
    if o.tool == "tag_contact":
        return f"- Tagged {name}: tags now {', '.join(data.get('tags') or []) or 'none'}."
    if o.tool == "update_lead":
        return f"- Updated lead {name}: status {data.get('status')}, {money(float(data.get('value') or 0))}."
    if o.tool == "update_contact":
        return f"- Updated contact {name}."
    if o.tool in {"get_contacts", "list_leads"}:
        total = records(o)[1]
        noun = "lead" if o.tool == "list_leads" else "contact"
        return (
            f"- Found {total:,} {noun}{'' if total == 1 else 's'}" + (f" {o.label}" if o.label else "") + "."
        )
    return f"- {o.tool.replace('_', ' ')}: done."


def write_sequence(plan: Plan, rounds: list[list[Outcome]], notes: list[str]) -> str:
    """A plan of several rounds: actions reported one by one, or a writer the plan names (a
    group-by counted per value found, the greeting with examples from the account's data)."""
    if plan.spec.get("writer") == "groups":
        return write_value_groups(plan, rounds, notes)
    if plan.spec.get("writer") == "greeting":
        return greeting.write_greeting(plan, rounds[0] if rounds else [])
    lines = ["Here is what I did:"] + [_done_line(o) for r in rounds for o in r]
    return "\n".join(lines + notes)


def _group_value(outcome: Outcome, arg: str) -> str:
    """The value a counting call was made for: its `arg` (the last tag, for a list of tags)."""
    value = outcome.arguments.get(arg)
    return str(value[-1] if isinstance(value, list) and value else value or outcome.label)


def write_value_groups(plan: Plan, rounds: list[list[Outcome]], notes: list[str]) -> str:
    """ "Contacts by tag": one row per value found, each the total of its own counting call."""
    spec = plan.spec
    key, noun = spec.get("key", "group"), spec.get("noun", "contacts")
    if failed := _failed([o for r in rounds for o in r]):
        return failed
    found = records(rounds[0][0])[1] if rounds and rounds[0] else 0
    head = f"{noun.capitalize()} by {key}" + (f" ({plan.label})" if plan.label else "")
    if len(rounds) < 2 or not rounds[1]:
        why = " ".join(notes) or f"none of them has a {key}."
        return f"{head}: I found {found:,} {noun}, but could not group them: {why}"
    rows = [(_group_value(o, spec.get("arg", "tags")), records(o)[1]) for o in rounds[1]]
    rows.sort(key=lambda r: (-r[1], r[0].lower()))
    lines = [head + ":"] + [f"- {name}: {count:,}" for name, count in rows]
    lines.append(f"Total: {found:,} {noun}" + (f" {plan.label}" if plan.label else "") + ".")
    if key == "tag":
        lines.append(f"A {noun.removesuffix('s')} with several tags is counted under each of them.")
    elif (listed := sum(r[1] for r in rows)) < found and not notes:
        lines.append(f"{found - listed:,} {noun} have no {key}.")
    if rows and found:
        lines.append(f"Most: {rows[0][0]} ({rows[0][1] / found * 100:.1f}% of the {noun}).")
    return "\n".join(lines + notes)


def write_export(outcome: Outcome) -> str:
    if outcome.error:
        return f"I couldn't export that: {outcome.error}"
    d = outcome.data
    rows = int(d.get("rows", 0))
    return (
        f"Exported {rows:,} row{'' if rows == 1 else 's'} of {d.get('object_type', 'data')} "
        f"to {d['filename']}. "
        f"Download: {d['download_url']} (file {d['file_id']}, {int(d.get('size_bytes', 0)):,} bytes)."
    )


def write_advice(outcome: Outcome) -> str | None:
    if outcome.error:
        return f"I couldn't complete that: {outcome.error}"
    data = outcome.data if isinstance(outcome.data, dict) else {}
    text = data.get("insights") or data.get("analysis")
    return text if isinstance(text, str) and text.strip() else None
