"""The answer to "hello, who are you and what can you do?": what frontdesk does, and two or three
example questions built from THIS account's data — its biggest open lead stage with its count, a
tag and a company its recent contacts carry — so a new user sees questions that return something.

Two small reads in one round: `pipeline_summary` (a grouped count, no rows) and the 25 newest
contacts (`get_contacts`). An account with no leads or contacts gets generic examples. A bare "hi"
stays a tool-free greeting (`talk.answer`); only a request for help reads the data.
A user whose department or permissions lack one of the reads (a support agent has no
`pipeline_summary`) gets the greeting from the reads it has (`fit`), or generic examples.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

from frontdesk.agent.offline.request import Plan, Step
from frontdesk.agent.offline.steps import Outcome, records

RECENT = 25  # newest contacts read for a tag, a company and a name
GENERIC = (
    "How is the pipeline looking?",
    "Leads per source last month",
    "Top 3 campaigns by ROAS last month",
)
ABILITIES = (
    "look up, count, group, rank and compare your contacts, leads and ad campaigns; add, tag and "
    "update records; export to CSV; and search past messages"
)


def plan_greeting(name: str | None = None) -> Plan:
    """The two reads the greeting's examples come from."""
    recent = {"limit": RECENT, "sort": "created_at", "order": "desc"}
    return Plan(
        "pipeline_summary",
        {},
        "summary",
        "",
        parallel=(Step("get_contacts", recent, "recent contacts"),),
        shape="sequence",
        spec={"writer": "greeting", "name": name or ""},
    )


def fit(plan: Plan, available: set[str]) -> Plan | None:
    """The greeting's plan with only the reads among `available` tools; None when there is none
    (the greeting is then written with generic examples, from no read)."""
    reads = [step for step in plan.first_round() if step.tool in available]
    if not reads:
        return None
    first, *rest = reads
    return replace(plan, tool=first.tool, arguments=first.arguments, label=first.label, parallel=tuple(rest))


def _by_tool(outcomes: list[Outcome], tool: str) -> dict[str, Any]:
    found = next((o for o in outcomes if o.tool == tool and o.error is None), None)
    return found.data if found is not None and isinstance(found.data, dict) else {}


def examples(outcomes: list[Outcome]) -> list[str]:
    """Up to three questions that name real values of this account (generic ones when it is empty)."""
    out: list[str] = []
    stages = [s for s in _by_tool(outcomes, "pipeline_summary").get("stages", []) if s.get("count")]
    open_stages = [s for s in stages if s.get("status") != "converted"] or stages
    if open_stages:
        top = max(open_stages, key=lambda s: (int(s["count"]), str(s["status"])))
        out.append(f"Which {top['status']} leads are worth the most? (you have {int(top['count']):,})")
    contacts_outcome = next((o for o in outcomes if o.tool == "get_contacts" and o.error is None), None)
    rows = records(contacts_outcome)[0] if contacts_outcome else []
    tags = Counter(t for r in rows for t in r.get("tags") or [])
    companies = Counter(r["company"] for r in rows if r.get("company"))
    if tags:
        tag = min(tags, key=lambda t: (-tags[t], t.lower()))
        out.append(f"How many contacts are tagged {tag}?")
    if companies:
        company = min(companies, key=lambda c: (-companies[c], c.lower()))
        out.append(f"Show the contacts at {company}")
    if len(out) < 3 and rows and rows[0].get("name"):
        out.append(f"What are {rows[0]['name']}'s details?")
    if not out:
        return list(GENERIC)
    return out[:3]


def write_greeting(plan: Plan, outcomes: list[Outcome]) -> str:
    name = plan.spec.get("name")
    hello = f"Hi {name}!" if name else "Hi!"
    lines = [f"{hello} I'm frontdesk, the assistant for this account. I can {ABILITIES}."]
    found = examples(outcomes)
    lines.append(
        "Try, for example:" if found != list(GENERIC) else "Your account is empty so far; try, for example:"
    )
    lines += [f"- {q}" for q in found]
    return "\n".join(lines)
