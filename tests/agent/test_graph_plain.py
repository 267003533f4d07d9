"""`PlainGraph` against LangGraph's compiled graph of the same nodes: the same events in the same
order and the same final state for real offline turns (tools on the demo store, the iteration
budget), events delivered while the node still runs, cancellation and LangGraph's step limit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from langgraph._internal._config import DEFAULT_RECURSION_LIMIT
from langgraph.errors import GraphRecursionError

from frontdesk.agent.departments import load_departments
from frontdesk.agent.events import TextDelta
from frontdesk.agent.graph import TurnDeps, build_graph
from frontdesk.agent.graph_plain import RECURSION_LIMIT, PlainGraph
from frontdesk.agent.model import ChatMessage, ModelChunk, TextChunk, ToolCall, ToolCallChunk, ToolSchema
from frontdesk.agent.offline.model import OfflineModel
from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from tests.conftest import demo_identity

TODAY = date(2026, 6, 15)


def deps_for(db: Database, settings: Settings, principal: Any, model: Any) -> TurnDeps:
    return TurnDeps(
        tool_ctx=ToolContext(principal, db, settings),
        registry=default_registry(),
        departments=load_departments(),
        model_for=lambda _dept: model,
        today=lambda: TODAY,
    )


async def run(graph: Any, start: dict[str, Any], deps: TurnDeps) -> tuple[list[Any], dict[str, Any]]:
    events, state = [], {}
    async for mode, chunk in graph.astream(start, context=deps, stream_mode=["custom", "values"]):
        if mode == "custom":
            events.append(chunk)
        else:
            state = chunk
    return events, state


@pytest.mark.parametrize(
    "question",
    [
        "which contacts are tagged VIP?",
        "how is the pipeline looking?",
        "hello there",
        "compare leads by source",
    ],
)
async def test_same_events_and_state_as_langgraph(db: Database, settings: Settings, question: str) -> None:
    principal = (await demo_identity(db)).principal()
    deps = deps_for(db, settings, principal, OfflineModel(today=lambda: TODAY))
    start = {"messages": [ChatMessage("user", question)], "previous_department": None}
    on_langgraph = await run(build_graph(settings.max_tool_iterations), start, deps)
    plain = await run(PlainGraph(settings.max_tool_iterations), start, deps)
    assert plain[0] == on_langgraph[0] and plain[0]
    assert {k: v for k, v in plain[1].items() if v is not None} == {
        k: v for k, v in on_langgraph[1].items() if v is not None
    }


class Looping:
    """A model that asks for a tool every round, streaming a word first (slowly)."""

    name = "looping"

    def __init__(self, pause: float = 0.0) -> None:
        self.pause = pause
        self.rounds = 0

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        self.rounds += 1
        yield TextChunk(f"round {self.rounds}")
        await asyncio.sleep(self.pause)
        yield ToolCallChunk(ToolCall(f"c{self.rounds}", "crm_search_contacts", {"query": "a"}))


async def test_budget_spent_the_same_way(db: Database, settings: Settings) -> None:
    principal = (await demo_identity(db)).principal()
    start = {"messages": [ChatMessage("user", "find contacts named a")], "previous_department": "sales"}
    on_langgraph = await run(build_graph(3), start, deps_for(db, settings, principal, Looping()))
    plain = await run(PlainGraph(3), start, deps_for(db, settings, principal, Looping()))
    assert [type(e).__name__ for e in plain[0]] == [type(e).__name__ for e in on_langgraph[0]]
    assert (
        plain[1]["final_text"] == on_langgraph[1]["final_text"]
        and "stopped after 3" in plain[1]["final_text"]
    )
    assert plain[1]["tool_log"] == on_langgraph[1]["tool_log"]


async def test_events_stream_while_the_node_runs_and_cancel_stops_it(
    db: Database, settings: Settings
) -> None:
    principal = (await demo_identity(db)).principal()
    model = Looping(pause=30.0)
    deps = deps_for(db, settings, principal, model)
    start = {"messages": [ChatMessage("user", "find contacts named a")], "previous_department": None}
    seen: list[Any] = []

    async def consume() -> None:
        async for mode, chunk in PlainGraph(3).astream(start, context=deps, stream_mode=["custom", "values"]):
            if mode == "custom":
                seen.append(chunk)

    task = asyncio.create_task(consume())
    for _ in range(200):  # the agent node is asleep in the model: its first words are out already
        if any(isinstance(e, TextDelta) for e in seen):
            break
        await asyncio.sleep(0.01)
    assert any(isinstance(e, TextDelta) and e.text == "round 1" for e in seen)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)
    assert model.rounds == 1
    running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not [t for t in running if "agent" in repr(t.get_coro())]  # the node was cancelled too


async def test_more_steps_than_the_limit_fail_as_on_langgraph(db: Database, settings: Settings) -> None:
    principal = (await demo_identity(db)).principal()
    start = {"messages": [ChatMessage("user", "find contacts named a")], "previous_department": "sales"}
    assert RECURSION_LIMIT == int(DEFAULT_RECURSION_LIMIT)  # LangGraph's own default
    on_langgraph = build_graph(20).with_config(recursion_limit=7)
    for graph in (on_langgraph, PlainGraph(20, recursion_limit=7)):  # 20 rounds: 41 steps, over 7
        with pytest.raises(GraphRecursionError):
            await run(graph, start, deps_for(db, settings, principal, Looping()))
    # the same boundary: 2 rounds are 7 node steps (route, agent, tools, agent, tools, agent, stop)
    for limit, fits in ((8, True), (7, False)):  # LangGraph counts its input as a step
        for graph in (
            build_graph(2).with_config(recursion_limit=limit),
            PlainGraph(2, recursion_limit=limit),
        ):
            try:
                finished = bool(await run(graph, start, deps_for(db, settings, principal, Looping())))
            except GraphRecursionError:
                finished = False
            assert finished is fits, (graph, limit)
