"""`plan_turn`, computed once per turn: the offline router (`graph.route`) and every round of
`OfflineModel.respond` plan the same latest user message, three times a turn with one tool call.

A plan depends only on the date and on the messages up to the latest user message — their user
texts and the assistants' tool calls (`followup.previous_call`, `memory.stated_facts`), not on
system prompts, tool results or answer texts — so that is the key. Plans are treated as values
by their readers (nothing changes a plan's dicts in place), so one may be handed out again.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date

from frontdesk.agent.model import ChatMessage
from frontdesk.agent.offline.followup import last_user_index, plan_turn
from frontdesk.agent.offline.request import Plan

SIZE = 256  # recent plans kept (a few per turn in flight)
_plans: OrderedDict[Hashable, Plan] = OrderedDict()


def _key(messages: list[ChatMessage], today: date) -> Hashable:
    end = last_user_index(messages)
    upto = messages if end is None else messages[: end + 1]
    return (
        today,
        tuple(
            (m.role, m.content)
            if m.role == "user"
            else (
                m.role,
                tuple((c.name, json.dumps(c.arguments, sort_keys=True, default=str)) for c in m.tool_calls),
            )
            for m in upto
            if m.role == "user" or (m.role == "assistant" and m.tool_calls)
        ),
    )


def planned(messages: list[ChatMessage], today: date) -> Plan:
    """`followup.plan_turn(messages, today)`, remembered for the last `SIZE` distinct keys."""
    key = _key(messages, today)
    found = _plans.get(key)
    if found is not None:
        _plans.move_to_end(key)
        return found
    plan = plan_turn(messages, today)
    _plans[key] = plan
    if len(_plans) > SIZE:
        _plans.popitem(last=False)
    return plan
