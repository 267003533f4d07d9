"""The pieces of a server-owned turn: its handle, what `submit` stored (`Began`), what the runner
needs from the agent (`TurnEngine`) and the answer it hands back unstored (`Answer`), and
`LiveTurn`, the in-memory log of a turn running in this process that followers replay and then
follow (`follow(after=n)`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from frontdesk.agent.events import AgentEvent, Done, Failed, event_from_dict
from frontdesk.storage.models import Conversation, Message
from frontdesk.storage.turn_models import Turn
from frontdesk.storage.write_tx import Tx
from frontdesk.types import InboundMessage

Outcome = Done | Failed


@dataclass(frozen=True, slots=True)
class TurnHandle:
    turn_id: str
    conversation_id: str
    user_message_id: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Began:
    """What `submit` stored: the conversation as it was, the user message and the turn row."""

    conversation: Conversation
    message: Message
    turn: Turn
    fresh: bool  # the conversation had no title yet (its first turn)
    previous_department: str | None
    waiting: str | None = None  # the approval thread the conversation waited on when it was read


@dataclass(frozen=True, slots=True)
class Answer:
    """A turn's answer, not stored yet: the last item of `TurnEngine.stream`. The runner stores it
    (`store(tx) -> Done`, synchronous over a `write_tx.Tx`) and the end of the turn in one write
    transaction (`Database.run_write_tx`), then streams the `Done`."""

    store: Callable[[Tx], Done]


class TurnEngine(Protocol):
    """What the runner needs from the agent (`frontdesk.agent.turn.Agent`)."""

    def check(self, inbound: InboundMessage) -> None: ...

    def stream(self, inbound: InboundMessage, began: Began) -> AsyncIterator[AgentEvent | Answer]: ...


@dataclass(eq=False)
class LiveTurn:
    """A turn running (or just finished) in this process: its events so far and who waits on them."""

    turn_id: str
    conversation_id: str
    account_id: str
    user_id: str
    events: list[AgentEvent] = field(default_factory=list)
    finished: bool = False
    status: str = "running"
    task: asyncio.Task[None] | None = None
    stop_reason: str | None = None  # "cancelled" (explicit) or "interrupted" (shutdown)
    _changed: asyncio.Event | None = None  # made by the first follower that waits, set by the next event
    _closed: asyncio.Event = field(default_factory=asyncio.Event)

    def append(self, event: AgentEvent) -> None:
        self.events.append(event)
        self._wake()

    def close(self, status: str) -> None:
        self.status = status
        self.finished = True
        self._closed.set()
        self._wake()

    async def last_event(self) -> AgentEvent | None:
        """The turn's last event, once it finished: one wake-up for a waiter that needs only the
        outcome (a follower wakes on every batch)."""
        await self._closed.wait()
        return self.events[-1] if self.events else None

    def _wake(self) -> None:
        """Wake the followers waiting for a new event. Most turns have none (`POST /chat/send`
        waits only for the outcome), so an `Event` is made only when one waits, not per event."""
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def follow(self, after: int) -> AsyncIterator[tuple[int, AgentEvent]]:
        async for batch in self.batches(after):
            for item in batch:
                yield item

    async def batches(self, after: int) -> AsyncIterator[list[tuple[int, AgentEvent]]]:
        """The events after `after` as they come, in batches: all those appended since the last
        batch (for a copy that writes each batch in one round trip, e.g. a shared event log)."""
        n = after
        while True:
            if n < len(self.events):
                batch = list(enumerate(self.events[n:], start=n + 1))
                n += len(batch)
                yield batch
                continue
            if self.finished:
                return
            if self._changed is None:
                self._changed = asyncio.Event()
            await self._changed.wait()

    @property
    def outcome(self) -> Outcome | None:
        last = self.events[-1] if self.events else None
        return last if self.finished and isinstance(last, Done | Failed) else None


class ConversationGate:
    """One turn at a time per conversation, with a bounded queue behind it."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # running + waiting


def outcome_of(events: list[dict[str, Any]] | None) -> Outcome | None:
    """The final event among stored event dicts, if the turn finished with one."""
    if not events:
        return None
    last = event_from_dict(events[-1])
    return last if isinstance(last, Done | Failed) else None
