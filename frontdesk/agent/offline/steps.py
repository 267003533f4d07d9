"""Running a plan of several calls: which calls come next, given the rounds already done.

A plan's first round is its first call plus its `parallel` calls (issued together, one model step).
Each later `Step` is one round, fed by the round before: `use` fills an argument with the id of the
record that round created (`create_contact` -> `contact_id`) or found (`get_contacts`, exactly
one, or each of them up to `EACH_MAX` with `each`), or `group` runs once per distinct value of a
field of the records found (at most `GROUP_MAX` values, the most frequent first). A round with a
failed call ends the plan; so does a lookup that found nothing (or too many, without `each`).
What did not run, and why, is reported by `unfinished`, never silently dropped. Deterministic:
the same messages, the same calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from frontdesk.agent.model import ChatMessage, ToolCall
from frontdesk.agent.offline.request import Plan, Step

EACH_MAX = 10  # records acted on by one "… each" step; more are named, not changed
GROUP_MAX = 15  # groups counted by one "… per tag / per company" step; more are named as left out
_ROWS = ("contacts", "leads")


@dataclass(frozen=True, slots=True)
class Outcome:
    tool: str
    arguments: dict[str, Any]
    data: Any
    error: str | None
    label: str = ""


def result_data(msg: ChatMessage) -> tuple[Any, str | None]:
    """(data, error) of a tool message; errors are sent as content starting with 'Error:'."""
    if msg.content.startswith("Error:"):
        return None, msg.content.removeprefix("Error:").strip()
    if msg.data is not None:
        return msg.data, None
    try:
        return json.loads(msg.content), None
    except ValueError:
        return msg.content, None


def rounds_after(messages: list[ChatMessage], start: int) -> list[list[Outcome]]:
    """The tool rounds after message `start` (the user's): one list of outcomes per model step."""
    rounds: list[list[Outcome]] = []
    calls: dict[str, ToolCall] = {}
    for msg in messages[start + 1 :]:
        if msg.role == "assistant" and msg.tool_calls:
            rounds.append([])
            calls = {c.id: c for c in msg.tool_calls}
        elif msg.role == "tool" and rounds:
            call = calls.get(msg.tool_call_id or "")
            data, error = result_data(msg)
            args = call.arguments if call else {}
            rounds[-1].append(Outcome(msg.name or (call.name if call else ""), args, data, error))
    return rounds


def records(outcome: Outcome) -> tuple[list[dict[str, Any]], int]:
    """(records, total) a round produced: the one it created or updated, or the ones it found."""
    data = outcome.data if isinstance(outcome.data, dict) else {}
    for key in _ROWS:
        if isinstance(data.get(key), list):
            return data[key], int(data.get("total", len(data[key])))
    if data.get("id"):
        return [data], 1
    return [], 0


def _what(outcome: Outcome) -> str:
    return "leads" if outcome.tool in {"list_leads", "create_lead", "update_lead"} else "contacts"


def group_values(before: list[Outcome], key: str) -> tuple[list[str], int, int]:
    """(distinct values of field `key` in the records the round found, most frequent first then by
    name; records seen; records the tool said match). A list field (tags) counts each item."""
    counts: dict[str, int] = {}
    seen = 0
    for o in before:
        rows, _ = records(o)
        seen += len(rows)
        for r in rows:
            value = r.get(key)
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str) and v.strip():
                    counts[v] = counts.get(v, 0) + 1
    total = records(before[0])[1] if before else 0
    return sorted(counts, key=lambda v: (-counts[v], v.lower())), seen, total


def blocked(step: Step, before: list[Outcome]) -> str | None:
    """Why `step` cannot run after the round `before`, or None when it can."""
    if failed := [o for o in before if o.error]:
        return f"{failed[0].tool.replace('_', ' ')} failed ({failed[0].error})"
    if step.group is not None:
        if not group_values(before, step.group)[0]:
            return f"no {_what(before[0])} have a {step.group.removesuffix('s')}" if before else "nothing ran"
        return None
    if step.use is None:
        return None
    total = records(before[-1])[1]
    if total == 0:
        return f"no {_what(before[-1])} matched"
    if not step.each and total > 1:
        return f"{total} {_what(before[-1])} matched and I act on one only when exactly one does"
    return None


def calls_for(step: Step, before: list[Outcome]) -> list[Step]:
    if step.group is not None:
        key = step.group
        listy = any(isinstance(r.get(key), list) for o in before for r in records(o)[0])
        given = list(step.arguments.get(key) or []) if listy else []  # "VIP contacts by tag": VIP and X
        values = [v for v in group_values(before, key)[0] if v.lower() not in {g.lower() for g in given}]
        return [
            Step(step.tool, step.arguments | {key: [*given, v] if listy else v}, v)
            for v in values[:GROUP_MAX]
        ]
    if step.use is None:
        return [step]
    rows, _ = records(before[-1])
    chosen = rows[:EACH_MAX] if step.each else rows[:1]
    return [
        Step(step.tool, {step.use: r["id"], **step.arguments}, str(r.get("name") or r["id"])) for r in chosen
    ]


def next_round(plan: Plan, rounds: list[list[Outcome]]) -> list[Step] | None:
    """The calls of the next round, or None when the plan is done (or cannot go on)."""
    if not rounds:
        return plan.first_round()
    index = len(rounds) - 1
    if index >= len(plan.steps) or blocked(plan.steps[index], rounds[-1]):
        return None
    return calls_for(plan.steps[index], rounds[-1])


def unfinished(plan: Plan, rounds: list[list[Outcome]]) -> list[str]:
    """Sentences for the steps that did not run (and records left alone), each with its reason."""
    notes: list[str] = []
    for i, step in enumerate(plan.steps):
        if i + 1 < len(rounds) and step.group is not None:
            values, seen, total = group_values(rounds[i], step.group)
            if len(values) > GROUP_MAX:
                rest = ", ".join(values[GROUP_MAX:])
                notes.append(f"Not counted: {len(values) - GROUP_MAX} smaller groups ({rest}).")
            if seen < total:
                notes.append(
                    f"Note: the groups are the values found on {seen:,} of the {total:,} "
                    f"{_what(rounds[i][0])}; a value only on the others is not listed."
                )
            continue
        if i + 1 < len(rounds):
            before, after = rounds[i], rounds[i + 1]
            total = records(before[-1])[1] if before else 0
            if step.each and total > len(after):
                notes.append(
                    f"I left {total - len(after):,} more {_what(before[-1])} unchanged: I act on at most "
                    f"{EACH_MAX} at a time; narrow the request to reach the rest."
                )
            continue
        if i < len(rounds):
            reason = blocked(step, rounds[i]) or "the turn ended first"
        else:
            reason = "an earlier step did not complete"
        notes.append(f"Not done: {step.label or step.tool.replace('_', ' ')}, because {reason}.")
    return notes
