"""The planner's turn shapes on the model path, through the real server with `anthropic/…` replayed
from recorded Messages API streams: a multi-step turn (a write, then a read whose figure the
answer carries), parallel tool_use blocks whose results go back together, a stated fact in the
history of the next turn, and approval before a model-proposed write. Figures are computed here
from `/api/leads` rows, not from the tools the model called."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.agent.wire import ProviderServer, Recorded, Reply, is_agent, is_route, is_title
from tests.api.conftest import anthropic_backed_server
from tests.api.test_chat import read_sse, stream
from tests.conftest import auth, demo_login, register


@pytest.fixture(scope="module")
def server(wire: ProviderServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        anthropic_backed_server(wire, tmp_path_factory.mktemp("turn-shapes")) as url,
        httpx.Client(base_url=url, timeout=60) as client,
    ):
        yield client


def tool_results(req: Recorded) -> list[dict[str, Any]]:
    """Every tool_result block of an Anthropic request, oldest first."""
    return [
        block
        for message in req.body["messages"]
        if isinstance(message["content"], list)
        for block in message["content"]
        if block.get("type") == "tool_result"
    ]


def agent_round(n: int) -> Any:
    """The agent request that carries exactly `n` tool results (round n + 1 of a fresh turn)."""
    return lambda req: is_agent(req) and len(tool_results(req)) == n


def queue(wire: ProviderServer, route: str, title: str | None, rounds: dict[int, str]) -> None:
    """Replies for one turn: `rounds` maps the number of tool results a request carries to the
    recording that answers it."""
    wire.reset()
    wire.queue(Reply.sse(route, when=is_route))
    if title:
        wire.queue(Reply.sse(title, when=is_title))
    wire.queue(*(Reply.sse(name, when=agent_round(n)) for n, name in rounds.items()))


def turn(client: httpx.Client, headers: dict[str, str], conv: str, text: str) -> list[dict[str, Any]]:
    events = [data for _, data in read_sse(stream(client, headers, conv, text))]
    kinds = [e["type"] for e in events]
    assert kinds[-1] == "done" and "error" not in kinds, events
    return events


def new_conversation(client: httpx.Client, headers: dict[str, str]) -> str:
    return str(client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"])


def calls(events: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(e["tool"], e["arguments"]) for e in events if e["type"] == "tool_call"]


def all_leads(client: httpx.Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    leads: list[dict[str, Any]] = []
    while True:
        page = client.get("/api/leads", params={"limit": 100, "offset": len(leads)}, headers=headers)
        assert page.status_code == 200, page.text
        leads += page.json()["leads"]
        if not page.json()["pagination"]["hasMore"]:
            return leads


def money(value: float) -> str:
    return f"${value:,.0f}"


def test_multi_step_turn_writes_then_reads_and_answers_with_the_figure(
    server: httpx.Client, wire: ProviderServer
) -> None:
    headers = demo_login(server)
    queue(
        wire,
        "anthropic_route_sales.sse",
        "anthropic_title_lead_pipeline.sse",
        {
            0: "anthropic_steps_create_lead.sse",
            1: "anthropic_steps_pipeline.sse",
            2: "anthropic_steps_answer.sse",
        },
    )
    conv = new_conversation(server, headers)
    events = turn(server, headers, conv, "Add Rui Costa from referral worth $1200, then how's the pipeline?")

    assert calls(events) == [
        ("create_lead", {"name": "Rui Costa", "source": "referral", "value": 1200}),
        ("pipeline_summary", {}),
    ]
    results = [e for e in events if e["type"] == "tool_result"]
    assert [r["is_error"] for r in results] == [False, False]
    leads = all_leads(server, headers)
    [rui] = [lead for lead in leads if lead["name"] == "Rui Costa"]
    assert (rui["source"], rui["value"]) == ("referral", 1200)
    total = sum(lead["value"] for lead in leads)
    assert results[1]["result"]["total_leads"] == len(leads) and results[1]["result"]["total_value"] == total
    answer = events[-1]["content"]
    assert f"{len(leads)} leads" in answer and money(total) in answer

    # each round answered the call before it: the pipeline read saw the lead's id, the answer both
    agent = [r for r in wire.requests if is_agent(r)]
    assert [len(tool_results(r)) for r in agent] == [0, 1, 2]
    assert rui["id"] in tool_results(agent[1])[0]["content"]
    ids = [e["id"] for e in events if e["type"] == "tool_call"]
    assert [b["tool_use_id"] for b in tool_results(agent[2])] == ids
    assert answer.startswith("I'll add the lead first, then read the pipeline.\n\n")


def test_parallel_tool_use_blocks_run_and_both_results_go_back(
    server: httpx.Client, wire: ProviderServer
) -> None:
    headers = demo_login(server)
    queue(
        wire,
        "anthropic_route_sales.sse",
        "anthropic_title_compare.sse",
        {0: "anthropic_parallel_tool_use.sse", 2: "anthropic_parallel_answer.sse"},
    )
    conv = new_conversation(server, headers)
    events = turn(server, headers, conv, "Compare website and social leads")

    assert calls(events) == [
        ("list_leads", {"source": "website", "limit": 5}),
        ("list_leads", {"source": "social", "limit": 5}),
    ]
    leads = all_leads(server, headers)
    figures = {}
    for source in ("website", "social"):
        rows = [lead for lead in leads if lead["source"] == source]
        figures[source] = (len(rows), sum(lead["value"] for lead in rows))
    answer = events[-1]["content"]
    (web_n, web_value), (social_n, social_value) = figures["website"], figures["social"]
    assert f"Website brought {web_n} leads worth {money(web_value)}" in answer
    assert f"social brought {social_n} worth {money(social_value)}" in answer
    gap = figures["website"][1] - figures["social"][1]
    assert money(gap) in answer and f"+{gap / figures['social'][1]:.1%}" in answer

    # one assistant message with both tool_use blocks, then one user message with both results
    [second] = [r for r in wire.requests if is_agent(r) and tool_results(r)]
    asked, answered = second.body["messages"][-2:]
    ids = ["toolu_01ParallelWebsite000001", "toolu_01ParallelSocial0000001"]
    assert [b["id"] for b in asked["content"] if b["type"] == "tool_use"] == ids
    assert answered["role"] == "user" and [b["tool_use_id"] for b in answered["content"]] == ids
    for block, source in zip(answered["content"], ("website", "social"), strict=True):
        data = block["content"].split(">\n", 1)[1].rsplit("\n</tool_result>", 1)[0]
        assert json.loads(data)["total"] == figures[source][0]
        assert json.loads(data)["total_value"] == figures[source][1]


def test_a_stated_fact_is_in_the_history_of_the_next_turn(server: httpx.Client, wire: ProviderServer) -> None:
    headers = demo_login(server)
    conv = new_conversation(server, headers)
    queue(
        wire, "anthropic_route_support.sse", "anthropic_title_intro.sse", {0: "anthropic_memory_greeting.sse"}
    )
    first = turn(server, headers, conv, "Hi, my name is Ana")
    assert first[-1]["content"] == "Nice to meet you, Ana! How can I help today?"

    queue(wire, "anthropic_route_support.sse", None, {0: "anthropic_memory_recall.sse"})
    second = turn(server, headers, conv, "What's my name?")
    assert second[-1]["content"] == "Your name is Ana."
    [req] = [r for r in wire.requests if is_agent(r)]
    assert req.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Hi, my name is Ana"}]},
        {"role": "assistant", "content": [{"type": "text", "text": first[-1]["content"]}]},
        {"role": "user", "content": [{"type": "text", "text": "What's my name?"}]},
    ]


def test_a_model_proposed_write_waits_for_yes(server: httpx.Client, wire: ProviderServer) -> None:
    headers = auth(register(server, "Cautious"))  # a new account: approval is on
    conv = new_conversation(server, headers)
    queue(
        wire,
        "anthropic_route_sales.sse",
        "anthropic_title_new_lead.sse",
        {
            0: "anthropic_approval_check.sse",
            1: "anthropic_approval_create_lead.sse",
            2: "anthropic_approval_answer.sse",
        },
    )
    asked = turn(server, headers, conv, "Create a lead named Ana Silva from website worth $1200")
    assert calls(asked) == [("list_leads", {"search": "Ana Silva"})]  # the read ran, the write waits
    question = asked[-1]["content"]
    assert question == (
        "Let me check she is not a lead already.\n\nNo lead by that name yet; I'll create it.\n\n"
        "I'll create lead Ana Silva, website, $1,200 — reply yes to confirm."
    )
    assert question == "".join(e["delta"] for e in asked if e["type"] == "content")
    assert all_leads(server, headers) == []
    assert [len(tool_results(r)) for r in wire.requests if is_agent(r)] == [0, 1]

    confirmed = turn(server, headers, conv, "yes")
    assert calls(confirmed) == [("create_lead", {"name": "Ana Silva", "source": "website", "value": 1200})]
    [lead] = all_leads(server, headers)
    assert (lead["name"], lead["source"], lead["value"]) == ("Ana Silva", "website", 1200)
    last = [r for r in wire.requests if is_agent(r)][-1]
    ids = ["toolu_01ApprovalCheckLeads0001", "toolu_01ApprovalCreateLead0001"]
    assert [b["tool_use_id"] for b in tool_results(last)] == ids
    assert lead["id"] in tool_results(last)[1]["content"]

    # the resumed turn answers, counts and stores only what it did itself
    answer = confirmed[-1]["content"]
    assert answer == "".join(e["delta"] for e in confirmed if e["type"] == "content")
    assert answer == "Done: Ana Silva is in your leads (website, $1,200)."
    usage = confirmed[-1]["usage"]
    assert (usage["input_tokens"], usage["output_tokens"]) == (1859, 24)  # anthropic_approval_answer.sse
    history = server.get(f"/chat/conversations/{conv}/messages", headers=headers).json()["messages"]
    stored = [[c["function"]["name"] for c in m["tool_calls"]] for m in history if m["role"] == "assistant"]
    assert stored == [["list_leads"], ["create_lead"]]
    assert [m["content"] for m in history if m["role"] == "assistant"] == [question, answer]
