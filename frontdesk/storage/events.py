"""The in-process event bus: changes announce themselves (`lead.created`, `message.received`, ...)
to whoever listens in this process — the `/ws` sockets of the account, the outbound webhook
fan-out and the notifier.

The bus belongs to a `Database` (`db.events`; every session of it carries the bus in
`session.info`), so the code that writes a change publishes it with the session it wrote with:

    await session.commit()
    publish(session, account_id, "lead.created", lead_event_data(lead))

Publishing never blocks and never fails the write: a subscriber whose queue is full loses that
event (logged).

Across replicas (`FRONTDESK_REDIS_URL`, `storage/redis_events.py`) the bus has a `relay`: each
published event is also appended to a Redis Stream, and events other processes published arrive
through `deliver_remote`, which reaches the account subscribers (the `/ws` sockets) only. The
background listeners subscribed to every account (webhook fan-out, the lead notifier) hear the
events of their own process, so each change is fanned out once, by the process that wrote it.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from frontdesk.storage.ids import iso, utcnow

log = logging.getLogger(__name__)
QUEUE_SIZE = 256


@dataclass(frozen=True, slots=True)
class Event:
    """One change of one account, in the CRM MVP's shape once rendered (`to_json`)."""

    account_id: str
    type: str
    data: dict[str, Any]
    timestamp: str = field(default_factory=lambda: iso(utcnow()) or "")

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "data": self.data, "timestamp": self.timestamp}


class EventBus:
    """Subscribers per account (`None` hears every account). `subscribe` is a context manager that
    yields an `asyncio.Queue` of `Event`s."""

    def __init__(self) -> None:
        self._subscribers: dict[str | None, set[asyncio.Queue[Event]]] = {}
        self.relay: Callable[[Event], None] | None = None  # to the other replicas (must not block)

    @contextmanager
    def subscribe(self, account_id: str | None, size: int = QUEUE_SIZE) -> Iterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)
        self._subscribers.setdefault(account_id, set()).add(queue)
        try:
            yield queue
        finally:
            self._subscribers.get(account_id, set()).discard(queue)

    def accounts(self) -> list[str]:
        """The accounts that have a subscriber of their own (a `/ws` socket)."""
        return [key for key, queues in self._subscribers.items() if key is not None and queues]

    def publish(self, event: Event) -> None:
        self._deliver(event, (event.account_id, None))
        if self.relay is not None:
            self.relay(event)

    def deliver_remote(self, event: Event) -> None:
        """An event another process published: to this process's subscribers of its account."""
        self._deliver(event, (event.account_id,))

    def _deliver(self, event: Event, keys: tuple[str | None, ...]) -> None:
        for key in keys:
            for queue in tuple(self._subscribers.get(key, ())):
                try:
                    queue.put_nowait(event)
                except asyncio.QueueFull:
                    log.warning("event %s dropped for a slow subscriber", event.type)


class EventListener(ABC):
    """A background subscriber to every account's events on a `Database`'s bus: `start()` returns once
    it listens, `stop()` cancels it. Subclasses say which events they want (`wants`) and what to do
    (`handle`); a failing `handle` is logged and the listener goes on with the next event."""

    name = "event-listener"

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._task: asyncio.Task[None] | None = None

    def wants(self, event: Event) -> bool:
        return True

    @abstractmethod
    async def handle(self, event: Event) -> None: ...

    async def start(self) -> None:
        if self._task is None:
            ready = asyncio.Event()
            self._task = asyncio.create_task(self._listen(ready), name=self.name)
            await ready.wait()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _listen(self, ready: asyncio.Event) -> None:
        with self._bus.subscribe(None) as events:
            ready.set()
            while True:
                event = await events.get()
                if self.wants(event):
                    try:
                        await self.handle(event)
                    except Exception:
                        log.exception("%s could not handle %s", self.name, event.type)


def publish(session: Any, account_id: str, type_: str, data: dict[str, Any]) -> None:
    """Publish on the bus of the database `session` came from (a session of another origin has no
    bus: nothing happens)."""
    bus = session.info.get("events") if hasattr(session, "info") else None
    if isinstance(bus, EventBus):
        bus.publish(Event(account_id, type_, data))


def lead_event_data(lead: Any) -> dict[str, Any]:
    """The seed's `lead.created` / `lead.updated` data."""
    return {
        "id": lead.id,
        "name": lead.name,
        "email": lead.email,
        "phone": lead.phone,
        "source": lead.source,
        "status": lead.status,
        "value": float(lead.value or 0),
        "contactId": lead.contact_id,
    }


def contact_event_data(contact: Any) -> dict[str, Any]:
    """`contact.created` data."""
    name = " ".join(p for p in (contact.first_name, contact.last_name) if p)
    return {"id": contact.id, "name": name, "email": contact.email, "phone": contact.phone}
