"""Approval before writes: a write tool called from chat, SMS or Teams asks first.

When an account's `approve_writes` setting is on (unset: on, except for the demo account), turns
from those doors run on a graph compiled with a checkpointer and an `approve` node between the
agent and its tools (`graph.build_graph(checkpointer=...)`). If the agent's tool calls
include a write tool (`ToolSpec.read_only` false), `approve` raises a LangGraph `interrupt` with a
description of them ("I'll create lead Ana Silva, website, $1,200, status contacted — reply yes
to confirm"); the turn ends with that question as its answer and the conversation is marked as
waiting. The next message in that conversation resumes the same graph state (`Command(resume=)`):
"yes" (or "y", "confirm", "go ahead", ...) runs the tools and the agent goes on; anything else
cancels them (nothing is written) and says so.

Durable: a run checkpoints in this process's memory; when it stops at the question, its latest
checkpoint, pending writes and the waiting mark go to the frontdesk store in one transaction
(`storage.checkpoints`: `StoreSaver.persist`, `approval_waits`), so a pending approval survives a
restart and any replica on the same database resumes it. Runs save once, when they stop
(`durability="exit"`); a turn that ends without a question leaves nothing behind; retention is
described in `storage.checkpoints`. A wait belongs to its conversation (taken by the next message
in it, deleted with it), and conversations are only reachable by their own account.
The setting is stored in `account_settings.settings["approve_writes"]`; `PUT /accounts/{id}` with
`approve_writes` changes it (`storage/account_settings.update_account`).
"""

from __future__ import annotations

import enum
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Literal

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.runtime import Runtime
from langgraph.types import Command, Overwrite, interrupt

from frontdesk.agent.events import TextDelta
from frontdesk.agent.model import ChatMessage, ToolCall
from frontdesk.errors import FrontdeskError
from frontdesk.storage.account_settings import approve_writes
from frontdesk.storage.checkpoints import StoreSaver, take_wait
from frontdesk.storage.db import Database
from frontdesk.tools.registry import ToolRegistry
from frontdesk.types import InboundMessage

DOORS = frozenset({"web", "sms", "teams"})
YES = frozenset(
    {"yes", "y", "yes please", "yep", "yeah", "confirm", "confirmed", "go ahead", "do it", "ok", "okay"}
)
CANCELLED = "Cancelled: nothing was changed."
BARE = frozenset({"name", "first_name", "last_name", "email", "phone", "company", "source", "title"})
MONEY = frozenset({"value", "amount", "deal_value", "price"})
SERIALIZED = [
    ("frontdesk.agent.model", "ChatMessage"),
    ("frontdesk.agent.model", "ToolCall"),
    ("frontdesk.agent.model", "ImagePart"),
]


class Unread(enum.Enum):
    """`Approvals.begin(waiting=UNREAD)`: the caller did not read the conversation's wait."""

    UNREAD = "unread"


UNREAD = Unread.UNREAD
SWEEP_EVERY_SECONDS = 600.0  # how often a process sweeps threads no conversation waits on
# LangGraph reads the run's durability from this config key when `astream` is given none
# (`pregel.main`, `CONFIG_KEY_DURABILITY`); the turn runner calls `astream` without it.
DURABILITY = "__pregel_durability"


def is_yes(text: str) -> bool:
    return " ".join(re.sub(r"[^a-z ]", " ", text.lower()).split()) in YES


def _value(key: str, value: Any) -> str:
    if key in MONEY and isinstance(value, int | float):
        return f"${value:,.0f}" if float(value).is_integer() else f"${value:,.2f}"
    shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return shown if key in BARE else f"{key.replace('_', ' ')} {shown}"


def describe(calls: list[ToolCall]) -> str:
    """ "I'll create lead Ana Silva, website, $1,200, status contacted — reply yes to confirm"."""
    parts = []
    for call in calls:
        args = ", ".join(_value(k, v) for k, v in call.arguments.items() if v not in (None, "", [], {}))
        parts.append(call.name.replace("_", " ") + (f" {args}" if args else ""))
    return f"I'll {'; then '.join(parts)} — reply yes to confirm."


def writes_in(calls: tuple[ToolCall, ...] | list[ToolCall], registry: ToolRegistry) -> list[ToolCall]:
    found = []
    for call in calls:
        try:
            if not registry.get(call.name).read_only:
                found.append(call)
        except FrontdeskError:  # an unknown tool: the tools node refuses it anyway
            continue
    return found


async def approve(state: dict[str, Any], runtime: Runtime[Any]) -> dict[str, Any]:
    """The graph node: interrupt for the write calls of the last assistant message; on resume,
    "yes" goes on to the tools, anything else answers every call with a cancellation. The resumed
    run is a new turn: what the asking turn showed, spent and logged (stored with it) starts over."""
    last: ChatMessage = state["messages"][-1]
    writes = writes_in(last.tool_calls, runtime.context.registry)
    if not writes:
        return {}
    answer = interrupt({"question": describe(writes), "tools": [c.name for c in writes]})
    new_turn: dict[str, Any] = {"shown": Overwrite([]), "usage": Overwrite({}), "tool_log": Overwrite([])}
    if is_yes(str(answer)):
        return new_turn
    runtime.stream_writer(TextDelta(CANCELLED))
    results = [
        ChatMessage("tool", "Cancelled by the user: not run.", tool_call_id=c.id, name=c.name)
        for c in last.tool_calls
    ]
    return new_turn | {"messages": results, "final_text": CANCELLED}


def after_approve(state: dict[str, Any]) -> Literal["tools", "__end__"]:
    """End when the calls were cancelled (their results are already in), else run them."""
    return "__end__" if state["messages"][-1].role == "tool" else "tools"


async def approval_enabled(db: Database, account_id: str) -> bool:
    """The account's setting; unset, on, except for the demo account (its owner is `DEMO_EMAIL`).
    Read through the per-process cache of `storage.account_settings.approve_writes`."""
    return await approve_writes(db, account_id)


class Approvals:
    """The checkpointed graph (compiled on first use, against the store the turns use) and the
    conversations waiting for a yes (`storage.checkpoints`)."""

    def __init__(self, build: Callable[..., Any]) -> None:
        self._build = build
        self.graph: Any = None
        self.saver: StoreSaver | None = None
        self._swept = 0.0  # monotonic time of the last sweep of orphaned threads

    def _bind(self, db: Database) -> StoreSaver:
        if self.saver is None or self.saver.db is not db:
            self.saver = StoreSaver(db, serde=JsonPlusSerializer(allowed_msgpack_modules=SERIALIZED))
            self.graph = self._build(checkpointer=self.saver)
        return self.saver

    async def begin(
        self,
        db: Database,
        inbound: InboundMessage,
        conversation_id: str,
        start: dict[str, Any],
        *,
        waiting: str | Unread | None = UNREAD,
    ) -> tuple[Any, dict[str, Any]] | None:
        """(graph input, config) when this turn runs under approval, else None. A waiting
        conversation's message resumes its thread (whichever process asked the question).
        `waiting`: the conversation's wait as the caller read it in the transaction that stored
        the message (the turn runner does); None skips the store, a thread is still taken here."""
        if inbound.principal.channel not in DOORS:
            return None
        saver = self._bind(db)
        enabled = await approval_enabled(db, inbound.principal.account_id)
        thread = None if waiting is None else await take_wait(db, conversation_id)
        if thread is not None and (not enabled or not thread.startswith(f"{conversation_id}:")):
            await saver.adelete_thread(thread)  # switched off meanwhile: the pending calls are dropped
            thread = None
        if not enabled:
            return None
        if thread is not None and await saver.aget_tuple(_config(thread)) is not None:
            return Command(resume=inbound.text), _config(thread)
        thread = f"{conversation_id}:{uuid.uuid4().hex}"
        saver.start(thread)
        return start, _config(thread)

    async def question(self, conversation_id: str, config: dict[str, Any]) -> str | None:
        """The confirmation question when the run stopped at `approve` (the conversation now
        waits); None when it ended, and its checkpoints are dropped."""
        assert self.saver is not None, "begin() binds the store first"
        thread = config["configurable"]["thread_id"]
        snapshot = await self.graph.aget_state(config)
        if snapshot.interrupts:
            await self.saver.persist(thread, conversation_id)
            return str(snapshot.interrupts[0].value["question"])
        await self.saver.adelete_thread(thread)
        if time.monotonic() - self._swept > SWEEP_EVERY_SECONDS:
            self._swept = time.monotonic()
            self.saver.forget_stale()
            await self.saver.purge_orphans()
        return None


def _config(thread: str) -> dict[str, Any]:
    """The run config of an approval thread: it saves when the run stops, not after every step."""
    return {"configurable": {"thread_id": thread, DURABILITY: "exit"}}
