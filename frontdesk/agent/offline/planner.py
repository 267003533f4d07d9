"""From the user's words to one tool call with arguments — or a short clarifying question.

Pure and deterministic: `plan(text, today)` looks only at the text and the date; follow-ups that
refine the previous turn are `followup.plan_turn`'s job. Each tool family contributes rules
(`Request -> Plan | None`), tried in order; the first that matches wins. The cases the planner
must understand are kept as data in `tests/agent/test_planner_cases.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from frontdesk.agent.offline import (
    compare_rules,
    crm_rules,
    data_rules,
    greeting,
    group_rules,
    helper_rules,
    marketing_rules,
    multi_rules,
    talk,
    write_rules,
)
from frontdesk.agent.offline.request import Intent, Plan, Request

__all__ = ["CAPABILITIES", "Intent", "Plan", "plan"]

CAPABILITIES = (
    "I can look up contacts (by tag, name, company or created date), list leads (by status, source "
    "or date), summarise the sales pipeline, add, tag and update contacts and leads, report ad, "
    "website and usage metrics, search past messages, query synced data, and list or run helpers."
)
Rule = Callable[[Request], Plan | None]
# Most specific first: ids, SQL, exports and imperative writes (several steps before one), then
# advice, comparisons, group-bys and rankings, then the tool families, CRM reads last.
RULES: tuple[Rule, ...] = (
    helper_rules.rule_helper_ids,
    data_rules.rule_sql,
    *multi_rules.RULES,
    *write_rules.RULES,
    multi_rules.rule_advice,
    multi_rules.rule_explain,
    compare_rules.rule_compare,
    *group_rules.RULES,
    crm_rules.rule_ids,
    data_rules.rule_search,
    *helper_rules.RULES[1:],
    *marketing_rules.RULES,
    data_rules.rule_stats,
    data_rules.rule_dashboard,
    data_rules.rule_explorer,
    data_rules.rule_crm_records,
    data_rules.rule_connections,
    crm_rules.rule_pipeline,
    crm_rules.rule_leads,
    crm_rules.rule_contacts,
)


def plan(text: str, today: date) -> Plan:
    """Plan one tool call for the request `text`."""
    req = Request.of(text, today)
    if not req.low:
        return Plan(None, clarify="What would you like to know? " + CAPABILITIES)
    if (kind := talk.kind(req.low)) is not None:
        if talk.wants_help(kind, req.low):
            return greeting.plan_greeting()
        return Plan(None, clarify="Hi! " + CAPABILITIES, spec={"talk": kind})
    if talk.states_facts(req.text):
        return Plan(None, clarify="Noted. " + CAPABILITIES, spec={"talk": "fact"})
    for rule in RULES:
        if (found := rule(req)) is not None:
            return found
    return Plan(None, clarify="I'm not sure what you're asking. " + CAPABILITIES)
