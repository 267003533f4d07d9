"""Follow-ups: the offline planner reads the previous turn from the conversation history and
refines its tool call ("only the ones from referral", "what about last month?")."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from frontdesk.agent.events import AgentChosen, Done, ToolCalled, ToolReturned
from frontdesk.agent.model import ChatMessage, ToolCall
from frontdesk.agent.offline.followup import plan_turn
from frontdesk.agent.turn import Agent
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.tools.registry import default_registry
from frontdesk.types import InboundMessage
from tests.conftest import demo_identity

TODAY = date(2026, 11, 23)


def history(first: str, tool: str, args: dict[str, Any], followup: str) -> list[ChatMessage]:
    return [
        ChatMessage("user", first),
        ChatMessage("assistant", "", tool_calls=(ToolCall("call_1", tool, args),)),
        ChatMessage("tool", '{"total": 3}', tool_call_id="call_1", name=tool),
        ChatMessage("assistant", "I found 3."),
        ChatMessage("user", followup),
    ]


# (first request, its tool call, the follow-up, the tool and arguments it must produce, intent)
CASES = [
    ("which leads came from the website?", "list_leads", {"source": "website", "limit": 10},
     "only the qualified ones", "list_leads", {"source": "website", "status": "qualified", "limit": 10}, "list"),
    ("show me the qualified leads", "list_leads", {"status": "qualified", "limit": 10},
     "only the ones from referral", "list_leads", {"status": "qualified", "source": "referral", "limit": 10}, "list"),
    ("how many contacts are tagged VIP?", "get_contacts", {"tags": ["VIP"], "limit": 1},
     "what about last month?", "get_contacts",
     {"tags": ["VIP"], "created_from": "2026-10-01", "created_to": "2026-10-31", "limit": 1}, "count"),
    ("contacts tagged newsletter", "get_contacts", {"tags": ["newsletter"], "limit": 10},
     "how many of them are VIP?", "get_contacts", {"tags": ["newsletter", "VIP"], "limit": 1}, "count"),
    ("show contacts at Acme Corp", "get_contacts", {"company": "Acme Corp", "limit": 10},
     "and at Globex?", "get_contacts", {"company": "Globex", "limit": 10}, "list"),
    ("how many leads did we convert in October?", "list_leads",
     {"status": "converted", "created_from": "2026-10-01", "created_to": "2026-10-31", "limit": 1},
     "show them", "list_leads",
     {"status": "converted", "created_from": "2026-10-01", "created_to": "2026-10-31", "limit": 10}, "list"),
    ("how did our ads perform last week?", "get_ad_performance", {"start_date": "2026-11-16", "end_date": "2026-11-22"},
     "what about this month?", "get_ad_performance", {"start_date": "2026-11-01", "end_date": "2026-11-23"}, "summary"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[3] for c in CASES])
def test_followup_refines_the_previous_call(case: tuple[Any, ...]) -> None:
    first, tool, args, followup, want_tool, want_args, intent = case
    p = plan_turn(history(first, tool, args, followup), TODAY)
    assert p.followup and p.tool == want_tool
    assert p.arguments == want_args
    assert p.intent == intent


def test_a_new_question_is_not_a_followup() -> None:
    p = plan_turn(
        history("show me the qualified leads", "list_leads", {"status": "qualified"}, "how is the pipeline?"),
        TODAY,
    )
    assert p.tool == "pipeline_summary" and not p.followup


def test_a_followup_without_a_previous_turn_gets_a_question() -> None:
    p = plan_turn([ChatMessage("user", "only the ones from referral")], TODAY)
    assert p.tool is None and p.clarify and p.clarify.startswith("Which results do you mean?")


async def test_followup_turn_through_the_agent(db: Database, settings: Settings) -> None:
    agent = Agent(db, settings, default_registry())
    principal = (await demo_identity(db)).principal()
    first = [e async for e in agent.run_turn(InboundMessage(principal, "which leads came from the website?"))]
    conv_id = first[-1].conversation_id
    second = [
        e
        async for e in agent.run_turn(
            InboundMessage(principal, "only the qualified ones", conversation_id=conv_id)
        )
    ]
    chosen = second[0]
    assert isinstance(chosen, AgentChosen) and chosen.department == first[0].department
    assert chosen.reason.startswith("follow-up of the previous turn")
    call = next(e for e in second if isinstance(e, ToolCalled))
    assert call.name == "list_leads" and call.arguments["source"] == "website"
    assert call.arguments["status"] == "qualified"
    result = next(e for e in second if isinstance(e, ToolReturned)).result
    assert all(lead["status"] == "qualified" and lead["source"] == "website" for lead in result["leads"])
    done = second[-1]
    assert isinstance(done, Done)
    assert done.content.startswith(f"I found {result['total']} leads (qualified from website)")
