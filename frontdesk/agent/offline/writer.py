"""Write the answer from tool results. Every number and name comes from the result data."""

from __future__ import annotations

from typing import Any

from frontdesk.agent.offline.planner import Plan
from frontdesk.agent.offline.render import render

SHOW = 10


def _money(value: float) -> str:
    return f"${value:,.0f}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _contact_line(c: dict[str, Any]) -> str:
    extra = [x for x in (c.get("company"), c.get("email")) if x]
    return f"- {c['name']}" + (f" ({', '.join(extra)})" if extra else "")


def _contacts(plan: Plan, data: dict[str, Any]) -> str:
    total, rows = int(data["total"]), data["contacts"]
    what = _plural(total, "contact") + (f" {plan.label}" if plan.label else "")
    if plan.intent == "count":
        return f"There {'is' if total == 1 else 'are'} {what}."
    if total == 0:
        return f"I found no contacts{' ' + plan.label if plan.label else ''}."
    lines = [f"I found {what}:"] + [_contact_line(c) for c in rows[:SHOW]]
    if total > len(rows[:SHOW]):
        lines.append(f"…and {total - len(rows[:SHOW]):,} more.")
    return "\n".join(lines)


def _detail(data: dict[str, Any]) -> str:
    parts = [f"{data['name']}" + (f", {data['position']}" if data.get("position") else "")]
    if data.get("company"):
        parts[0] += f" at {data['company']}"
    parts.append(
        f"Email: {data.get('email') or 'none on file'}; phone: {data.get('phone') or 'none on file'}."
    )
    parts.append("Tags: " + (", ".join(data.get("tags") or []) or "none") + ".")
    leads = data.get("leads") or []
    if leads:
        parts.append(
            "Leads: "
            + "; ".join(f"{lead['status']} from {lead['source']}, {_money(lead['value'])}" for lead in leads)
            + "."
        )
    return "\n".join(parts)


def _leads(plan: Plan, data: dict[str, Any]) -> str:
    total, rows = int(data["total"]), data["leads"]
    what = _plural(total, "lead") if not plan.label else f"{_plural(total, 'lead')} ({plan.label})"
    worth = f" worth {_money(float(data.get('total_value') or 0))} in total" if total else ""
    if plan.intent == "count":
        return f"There {'is' if total == 1 else 'are'} {what}{worth}."
    if total == 0:
        return f"I found no leads{' (' + plan.label + ')' if plan.label else ''}."
    lines = [f"I found {what}{worth}:"]
    lines += [
        f"- {lead['name']}"
        + (f" ({lead['company']})" if lead.get("company") else "")
        + f": {lead['status']}, {lead['source']}, {_money(lead['value'])}"
        for lead in rows[:SHOW]
    ]
    if total > len(rows[:SHOW]):
        lines.append(f"…and {total - len(rows[:SHOW]):,} more.")
    return "\n".join(lines)


def _pipeline(data: dict[str, Any]) -> str:
    lines = [
        f"Your pipeline has {_plural(int(data['total_leads']), 'lead')} worth {_money(data['total_value'])} "
        f"({_money(data['open_value'])} still open):"
    ]
    lines += [f"- {s['status']}: {s['count']:,} ({_money(s['value'])})" for s in data["stages"]]
    lines.append(f"Conversion rate: {data['conversion_rate'] * 100:.1f}%.")
    return "\n".join(lines)


def write_answer(plan: Plan, tool: str, data: Any, error: str | None = None) -> str:
    if error is not None:
        return f"I couldn't complete that: {error}"
    if tool == "get_contacts":
        return _contacts(plan, data)
    if tool == "get_contact_detail":
        return _detail(data)
    if tool == "list_leads":
        return _leads(plan, data)
    if tool == "pipeline_summary":
        return _pipeline(data)
    if tool == "get_lead" and isinstance(data, dict) and "status" in data:
        return _lead_detail(data)
    if tool == "quick_insights" and isinstance(data, dict) and isinstance(data.get("facts"), list):
        return _insights(data)
    if tool == "search_messages" and isinstance(data, dict) and isinstance(data.get("data"), list):
        return _search(plan, data)
    return render(tool, data)


def _insights(data: dict[str, Any]) -> str:
    span = data.get("date_range") or {}
    lines = [f"Marketing from {span.get('start')} to {span.get('end')}:"]
    for f in data["facts"]:
        change = f" ({f['change']} {f['period']})" if f.get("change") else ""
        where = f" [{f['platform']}]" if f.get("platform") else ""
        lines.append(f"- {f['metric']}{where}: {f['value']}{change}")
    if len(lines) == 1:
        lines.append("No connected ad or analytics platform reported data for this period.")
    return "\n".join(lines)


def _search(plan: Plan, data: dict[str, Any]) -> str:
    total, rows = int(data.get("total") or 0), data["data"]
    query = data.get("query", "")
    if total == 0:
        return f"No messages match {query!r}."
    if plan.intent == "count":
        return f"{_plural(total, 'message')} match {query!r}."
    lines = [f"{_plural(total, 'message')} match {query!r}:"]
    for m in rows[:SHOW]:
        text = " ".join(str(m.get("snippet") or m.get("content") or "").split())
        text = text if len(text) <= 120 else text[:119] + "…"
        title = f" in “{m['conversation_title']}”" if m.get("conversation_title") else ""
        lines.append(f"- {m.get('role', '')}{title}: {text}")
    if total > len(rows[:SHOW]):
        lines.append(f"…and {total - len(rows[:SHOW]):,} more.")
    return "\n".join(lines)


def _lead_detail(lead: dict[str, Any]) -> str:
    who = lead["name"] + (f" ({lead['company']})" if lead.get("company") else "")
    return f"{who}: {lead['status']} lead from {lead['source']}, worth {_money(float(lead['value'] or 0))}."
