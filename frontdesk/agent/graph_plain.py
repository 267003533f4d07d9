"""`PlainGraph`: the turn graph of `graph.build_graph` (no checkpointer) run by a small loop
instead of LangGraph's Pregel engine.

Why: a turn that needs no checkpoint (no approval: the account has it off, or the door is not
one that asks) used none of what Pregel does per step — channels and their versions, the task
and checkpoint bookkeeping, the background stream queue — yet that machinery cost more CPU than
the offline model's own work (about a tenth of a stored turn, `docs/benchmarks.md`).

What stays the same, so a turn streams and ends exactly as on LangGraph:

- the nodes (`graph.route`, `agent`, `tools`, `stop`) and the edge `graph.after_agent` are the
  very functions the LangGraph graph runs, in the same order (route -> agent -> tools -> agent
  ... -> end or stop), each given a LangGraph `Runtime` with the run's context and writer;
- a node's update goes through the reducers declared on `graph.TurnState` (`Annotated`), as
  LangGraph's channels apply them;
- custom events (`runtime.stream_writer`) reach the caller while the node that writes them is
  still running (each node runs in a task of its own, as on LangGraph), and after a node's events
  the caller gets the state (`"values"`);
- a node's exception ends the run with that exception; cancelling the caller (timeout, a
  cancelled turn) cancels the running node; a run of more than LangGraph's default
  `recursion_limit` steps fails with LangGraph's own `GraphRecursionError`.

What it does not do: checkpoints, `interrupt`, `Command(resume=)`, retry policies, other stream
modes. The approval graph (`agent.approval`, compiled with a checkpointer) stays on LangGraph.
"""

from __future__ import annotations

import asyncio
import typing
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from langgraph._internal._config import DEFAULT_RECURSION_LIMIT
from langgraph.errors import GraphRecursionError
from langgraph.runtime import Runtime

from frontdesk.agent import graph

# LangGraph's default `recursion_limit` (steps a run may take; 10007 unless the environment's
# LANGGRAPH_DEFAULT_RECURSION_LIMIT says otherwise), read from LangGraph itself.
RECURSION_LIMIT = int(DEFAULT_RECURSION_LIMIT)
END = "__end__"
_DONE = object()  # the inbox's mark: the node returned (or failed)
_NODES: dict[str, Callable[..., Any]] = {
    "route": graph.route,
    "agent": graph.agent,
    "tools": graph.tools,
    "stop": graph.stop,
}


def _reducers() -> dict[str, tuple[Callable[[Any, Any], Any], type]]:
    """`TurnState`'s reducers by key, with the empty value a channel starts from."""
    found = {}
    for key, hint in typing.get_type_hints(graph.TurnState, include_extras=True).items():
        if typing.get_origin(hint) is typing.Annotated:
            base, reducer = typing.get_args(hint)[:2]
            found[key] = (reducer, typing.get_origin(base) or base)
    return found


_REDUCERS = _reducers()


def apply(state: dict[str, Any], update: dict[str, Any] | None) -> dict[str, Any]:
    """`state` with a node's `update`: reduced where `TurnState` says how, else replaced."""
    if not update:
        return state
    merged = dict(state)
    for key, value in update.items():
        rule = _REDUCERS.get(key)
        if rule is None:
            merged[key] = value
        else:
            reducer, empty = rule
            merged[key] = reducer(merged[key] if key in merged else empty(), value)
    return merged


class _Inbox:
    """What a running node wrote (its custom events, then `_DONE`), taken in batches: all that was
    written since the last take. Why not an `asyncio.Queue`: a model streams dozens of chunks a
    turn, often faster than they are read, and a queue spends a put and a get on each."""

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None

    def put(self, item: Any) -> None:
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def take(self) -> list[Any]:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        items, self._items = self._items, []
        return items


def _finished(events: _Inbox, _: asyncio.Task[Any]) -> None:
    events.put(_DONE)


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a node's outcome as seen when nobody waits for it any more (the caller left)."""
    if not task.cancelled():
        task.exception()


class PlainGraph:
    """The `graph.build_graph(max_iterations)` graph's `astream`, for the stream modes the turn
    uses (`["custom", "values"]`)."""

    def __init__(self, max_iterations: int, recursion_limit: int = RECURSION_LIMIT) -> None:
        self.max_iterations = max_iterations
        self.recursion_limit = recursion_limit

    def _next(self, node: str, state: dict[str, Any]) -> str:
        if node == "agent":
            return graph.after_agent(state, self.max_iterations)  # type: ignore[arg-type]
        return {"route": "agent", "tools": "agent"}.get(node, END)  # stop -> end

    async def astream(
        self,
        graph_input: dict[str, Any],
        config: dict[str, Any] | None = None,
        *,
        context: graph.TurnDeps,
        stream_mode: list[str] | None = None,
    ) -> AsyncIterator[tuple[str, Any]]:
        """("custom", event) as the nodes write them and ("values", state) after each step."""
        if config is not None or (stream_mode or ["custom", "values"]) != ["custom", "values"]:
            raise ValueError("PlainGraph runs without a config, in the custom and values modes")
        # As LangGraph's channels: a reduced key starts empty (and shows so) until a node writes it.
        state = apply({key: empty() for key, (_, empty) in _REDUCERS.items()}, graph_input)
        node, steps = "route", 0
        while node != END:
            steps += 1
            if steps >= self.recursion_limit:  # LangGraph counts the input as a step too
                raise GraphRecursionError(
                    f"Recursion limit of {self.recursion_limit} reached without hitting a stop condition."
                )
            events = _Inbox()
            runtime = Runtime(context=context, stream_writer=events.put)
            task = asyncio.ensure_future(_NODES[node](state, runtime))
            task.add_done_callback(partial(_finished, events))
            try:
                done = False
                while not done:
                    for event in await events.take():
                        if event is _DONE:
                            done = True  # the last item written: the node's done callback put it
                            break
                        yield "custom", event
            finally:
                if not task.done():  # the caller stopped reading or was cancelled
                    task.add_done_callback(_retrieve)
                    task.cancel()
            state = apply(state, task.result())
            yield "values", state
            node = self._next(node, state)
