"""The offline model's answers for the non-CRM tools come from the tool results, through the
agent against the demo account's real data (the demo ad, GA4 and CRM connections)."""

from __future__ import annotations

from frontdesk.agent.events import Done, ToolReturned
from frontdesk.agent.offline.render import render
from frontdesk.agent.turn import Agent
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.tools.registry import default_registry
from frontdesk.types import InboundMessage
from tests.conftest import demo_identity


async def ask(agent: Agent, principal: object, text: str) -> tuple[ToolReturned, Done]:
    events = [e async for e in agent.run_turn(InboundMessage(principal, text))]  # type: ignore[arg-type]
    result = next(e for e in events if isinstance(e, ToolReturned))
    done = events[-1]
    assert isinstance(done, Done) and not result.is_error, events[-1]
    return result, done


async def test_answers_quote_the_tool_results(db: Database, settings: Settings) -> None:
    agent = Agent(db, settings, default_registry())
    principal = (await demo_identity(db)).principal()

    result, done = await ask(agent, principal, "quick insights for the last 7 days")
    assert result.name == "quick_insights" and result.result["facts"]
    assert all(f["value"] in done.content and f["change"] in done.content for f in result.result["facts"])

    result, done = await ask(agent, principal, "top 5 pages last week")
    pages = result.result["pages"]
    assert result.name == "get_top_pages" and len(pages) == 5
    assert all(p["page_path"] in done.content and f"{p['page_views']:,}" in done.content for p in pages)

    result, done = await ask(agent, principal, "how did our ads perform last week?")
    totals = result.result["totals"]
    assert result.name == "get_ad_performance"
    assert f"impressions {totals['impressions']:,}" in done.content
    assert f"clicks {totals['clicks']:,}" in done.content

    result, done = await ask(agent, principal, "search messages for ads")
    assert result.name == "search_messages"
    assert done.content.startswith(f"{result.result['total']} message")


def test_render_copies_values_and_skips_paging() -> None:
    text = render(
        "list_helpers",
        {
            "total_count": 12,
            "has_more": True,
            "limit": 2,
            "helpers": [
                {
                    "id": "helper:1",
                    "name": "Welcome",
                    "enabled": True,
                    "run_count": 1234,
                    "created_at": "2026-01-01",
                },
                {"id": "helper:2", "name": "Score", "enabled": False, "ctr": 0.01337},
            ],
        },
    )
    assert text.splitlines() == [
        "Helpers:",
        "- total count: 12",
        "Helpers (2):",
        "  - Welcome: enabled yes, run count 1,234",
        "  - Score: enabled no, ctr 0.01337",
    ]
