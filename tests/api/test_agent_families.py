"""Issue 4: the offline agent answers one request per tool family end to end through the API,
with figures taken from the real tool result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.api.test_chat import read_sse, stream
from tests.conftest import demo_login

Probe = Callable[[dict[str, Any]], str]

FAMILIES: list[tuple[str, str, str, Probe]] = [
    ("crm", "How many VIP customers do we have?", "get_contacts", lambda r: f"{r['total']} contacts"),
    ("helpers", "what kinds of helpers can I set up?", "list_helper_types", lambda r: r["types"][0]["name"]),
    ("ads", "show my Google Ads campaigns last month", "get_campaigns", lambda r: r["campaigns"][0]["name"]),
    ("ga4", "how much website traffic did we get this month?", "get_ga4_metrics",
     lambda r: f"sessions {r['totals']['sessions']:,}"),
    ("analytics", "show me the dashboard", "dashboard_summary",
     lambda r: f"totalLeads {r['summary']['totalLeads']}"),
    ("explorer", "what data do we have synced?", "data_catalog", lambda r: r["objects"][0]["object_type"]),
]  # fmt: skip


def turn(client: httpx.Client, headers: dict[str, str], text: str) -> list[dict[str, Any]]:
    conv = client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"]
    return [e for _, e in read_sse(stream(client, headers, conv, text))]


@pytest.mark.parametrize(("family", "question", "tool", "probe"), FAMILIES, ids=[f[0] for f in FAMILIES])
def test_offline_agent_answers_each_family(
    client: httpx.Client, family: str, question: str, tool: str, probe: Probe
) -> None:
    headers = demo_login(client)
    events = turn(client, headers, question)
    call = next(e for e in events if e["type"] == "tool_call")
    result = next(e for e in events if e["type"] == "tool_result")
    assert call["tool"] == tool and result["is_error"] is False
    done = events[-1]
    assert done["type"] == "done"
    assert probe(result["result"]) in done["content"]


def test_offline_agent_searches_messages(client: httpx.Client) -> None:
    headers = demo_login(client)
    turn(client, headers, "how many contacts mention zebrafinch?")  # puts the word in the store
    events = turn(client, headers, "search messages for zebrafinch")
    result = next(e for e in events if e["type"] == "tool_result")
    assert result["tool"] == "search_messages" and result["result"]["total"] >= 1
    assert f"{result['result']['total']} message" in events[-1]["content"]
