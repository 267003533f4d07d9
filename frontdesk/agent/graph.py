"""The LangGraph graph of one turn: route -> department agent -> tools -> agent ... -> end.

Nodes write `AgentEvent`s through LangGraph's stream writer; `run_turn` streams them out with
`stream_mode="custom"`. Edges are pure functions of the state.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from frontdesk.agent.departments import Department
from frontdesk.agent.events import AgentChosen, TextDelta, ToolCalled, ToolReturned
from frontdesk.agent.model import (
    ChatMessage,
    ChatModel,
    TextChunk,
    ToolCall,
    ToolCallChunk,
    ToolSchema,
    UsageChunk,
)
from frontdesk.agent.offline.planner import plan
from frontdesk.agent.router import classify
from frontdesk.errors import FrontdeskError
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry


def _add_usage(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {k: a.get(k, 0) + b.get(k, 0) for k in {*a, *b}}


class TurnState(TypedDict, total=False):
    messages: Annotated[list[ChatMessage], operator.add]
    department: str
    iterations: int
    usage: Annotated[dict[str, int], _add_usage]
    tool_log: Annotated[list[dict[str, Any]], operator.add]
    final_text: str


@dataclass(frozen=True, slots=True)
class TurnDeps:
    """Run-scoped context handed to every node."""

    tool_ctx: ToolContext
    registry: ToolRegistry
    departments: dict[str, Department]
    model_for: Callable[[Department], ChatModel]
    today: Any  # callable returning today's date, for the planner-based router


def _last_user_text(messages: list[ChatMessage]) -> str:
    return next((m.content for m in reversed(messages) if m.role == "user"), "")


async def route(state: TurnState, runtime: Runtime[TurnDeps]) -> dict[str, Any]:
    deps = runtime.context
    text = _last_user_text(state["messages"])
    planned = plan(text, deps.today()).tool
    name, reason = classify(
        text, deps.departments, prior=deps.tool_ctx.principal.department, planned_tool=planned
    )
    runtime.stream_writer(AgentChosen(department=name, reason=reason))
    return {"department": name, "iterations": 0}


def _tool_schemas(deps: TurnDeps, dept: Department) -> list[ToolSchema]:
    specs = deps.registry.visible_to(deps.tool_ctx.principal, list(dept.tools))
    return [ToolSchema(s.name, s.description, s.parameters) for s in specs]


async def agent(state: TurnState, runtime: Runtime[TurnDeps]) -> dict[str, Any]:
    deps = runtime.context
    dept = deps.departments[state["department"]]
    model = deps.model_for(dept)
    messages = [ChatMessage("system", dept.system_prompt), *state["messages"]]
    text: list[str] = []
    calls: list[ToolCall] = []
    usage = {"input_tokens": 0, "output_tokens": 0}
    async for chunk in model.stream(messages, _tool_schemas(deps, dept)):
        if isinstance(chunk, TextChunk):
            text.append(chunk.text)
            runtime.stream_writer(TextDelta(chunk.text))
        elif isinstance(chunk, ToolCallChunk):
            calls.append(chunk.call)
        elif isinstance(chunk, UsageChunk):
            usage = {"input_tokens": chunk.input_tokens, "output_tokens": chunk.output_tokens}
    content = "".join(text)
    update: dict[str, Any] = {
        "messages": [ChatMessage("assistant", content, tool_calls=tuple(calls))],
        "usage": usage,
    }
    if not calls:
        update["final_text"] = content
    return update


async def tools(state: TurnState, runtime: Runtime[TurnDeps]) -> dict[str, Any]:
    """Run the tool calls of the last assistant message. A failing tool becomes an error result."""
    deps = runtime.context
    last = state["messages"][-1]
    results: list[ChatMessage] = []
    log: list[dict[str, Any]] = []
    for call in last.tool_calls:
        runtime.stream_writer(ToolCalled(call.id, call.name, call.arguments))
        try:
            data = await deps.registry.call(call.name, call.arguments, deps.tool_ctx)
            content, is_error = json.dumps(data, default=str), False
        except FrontdeskError as e:
            data, content, is_error = None, f"Error: {e.detail}", True
        runtime.stream_writer(ToolReturned(call.id, call.name, data if not is_error else content, is_error))
        results.append(ChatMessage("tool", content, tool_call_id=call.id, name=call.name, data=data))
        log.append(
            {
                "id": call.id,
                "name": call.name,
                "arguments": call.arguments,
                "result": data if not is_error else None,
                "error": content if is_error else None,
                "iteration": state.get("iterations", 0),
            }
        )
    return {"messages": results, "tool_log": log, "iterations": state.get("iterations", 0) + 1}


async def stop(state: TurnState, runtime: Runtime[TurnDeps]) -> dict[str, Any]:
    text = (
        f"I stopped after {state.get('iterations', 0)} rounds of tool calls without reaching an answer. "
        "Please narrow the question."
    )
    runtime.stream_writer(TextDelta(text))
    return {"final_text": text}


def after_agent(state: TurnState, max_iterations: int) -> Literal["tools", "stop", "__end__"]:
    """Tools when the model asked for some and the budget allows; stop when it is spent."""
    last = state["messages"][-1]
    if not last.tool_calls:
        return "__end__"
    return "tools" if state.get("iterations", 0) < max_iterations else "stop"


def build_graph(max_iterations: int) -> Any:
    g = StateGraph(TurnState, context_schema=TurnDeps)
    g.add_node("route", route)
    g.add_node("agent", agent)
    g.add_node("tools", tools)
    g.add_node("stop", stop)
    g.add_edge(START, "route")
    g.add_edge("route", "agent")
    g.add_conditional_edges(
        "agent",
        partial(after_agent, max_iterations=max_iterations),
        {"tools": "tools", "stop": "stop", "__end__": END},
    )
    g.add_edge("tools", "agent")
    g.add_edge("stop", END)
    return g.compile()
