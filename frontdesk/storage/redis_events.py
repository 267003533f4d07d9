"""Live events across replicas: the `EventBus` of each process appends what it publishes to one
Redis Stream and hands what the other processes appended to its account subscribers
(`EventBus.deliver_remote`), so a lead created through replica A reaches a `/ws` socket on B.

Why a stream and not pub/sub: delivery survives a short loss of the Redis link on either side.

- Sending never blocks the writer: events wait in a bounded outbox (`OUTBOX_SIZE`; a full outbox
  drops the new event, logged) for the sender task, which retries an event until Redis takes it
  (Redis stopped and restarted, a killed connection), in order.
- Each process reads the stream from the last entry id it saw; after reconnecting it reads on
  from there, so it gets what was appended while it was away. A stream that Redis lost (restarted
  without persistence) or that was recreated is read from its start.
- The bound: the stream is capped at about `MAXLEN` entries (`XADD MAXLEN ~`). A replica away for
  longer than it takes the deployment to publish that many events misses the oldest of them
  (logged as a gap); events of an outage longer than the outbox holds are dropped by the sender.
- A retried `XADD` whose first try reached Redis may append an event twice: receivers skip ids
  they already delivered (the last `SEEN_IDS`).

A process starting up reads from the stream's end (no replay of events before it started).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import OrderedDict
from typing import Any

from redis.asyncio import Redis

from frontdesk.storage.events import Event, EventBus

log = logging.getLogger(__name__)
STREAM = "frontdesk:events"
MAXLEN = 10_000
OUTBOX_SIZE = 4096
SEND_BATCH = 256  # events appended in one pipelined round trip
SEEN_IDS = 2048
RECONNECT_SECONDS = 1.0
BLOCK_MS = 5000
START = "0-0"


def _id(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _before(a: str, b: str) -> bool:
    """Stream id `a` comes before `b` (ids are `<ms>-<seq>`)."""
    ams, _, aseq = a.partition("-")
    bms, _, bseq = b.partition("-")
    return (int(ams), int(aseq or 0)) < (int(bms), int(bseq or 0))


class RedisEventRelay:
    """`start()` returns once this process knows where to read from; `stop()` detaches it."""

    def __init__(
        self, bus: EventBus, client: Redis, listener: Redis, stream: str = STREAM, maxlen: int = MAXLEN
    ) -> None:
        """`client` appends; `listener` (a client without a read timeout) blocks on the stream."""
        self.bus, self.client, self.listener = bus, client, listener
        self.stream, self.maxlen = stream, maxlen
        self.origin = uuid.uuid4().hex  # this process: its own events come back and are skipped
        self._outbox: asyncio.Queue[Event] = asyncio.Queue(maxsize=OUTBOX_SIZE)
        self._tasks: list[asyncio.Task[None]] = []
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def start(self) -> None:
        if self._tasks:
            return
        listening = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._receive(listening), name="events-relay-in"),
            asyncio.create_task(self._send(), name="events-relay-out"),
        ]
        await listening.wait()
        self.bus.relay = self._enqueue

    async def stop(self) -> None:
        if self.bus.relay == self._enqueue:
            self.bus.relay = None
        with contextlib.suppress(TimeoutError):  # let queued events go out
            await asyncio.wait_for(self._outbox.join(), 2.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def _enqueue(self, event: Event) -> None:
        try:
            self._outbox.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("event %s not relayed to other replicas: the outbox is full", event.type)

    async def _send(self) -> None:
        while True:
            batch = [await self._outbox.get()]  # and whatever else is waiting: one round trip
            while len(batch) < SEND_BATCH and not self._outbox.empty():
                batch.append(self._outbox.get_nowait())
            entries = [self._entry(event) for event in batch]
            failing = False
            while True:
                try:
                    async with self.client.pipeline(transaction=False) as pipe:
                        for entry in entries:
                            pipe.xadd(self.stream, entry, maxlen=self.maxlen, approximate=True)
                        await pipe.execute()
                    break
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # Redis away: keep the events and try again
                    if not failing:
                        log.warning("could not relay %d events to Redis (%r); retrying", len(batch), e)
                        failing = True
                    await asyncio.sleep(RECONNECT_SECONDS)
            if failing:
                log.info("Redis is back: relayed %d events", len(batch))
            for _ in batch:
                self._outbox.task_done()

    def _entry(self, event: Event) -> dict[str, str]:
        body = {"origin": self.origin, "id": uuid.uuid4().hex, "account_id": event.account_id}
        return {"e": json.dumps(body | event.to_json())}

    async def _receive(self, listening: asyncio.Event) -> None:
        last: str | None = None
        while True:
            try:
                last = await self._position(last)
                listening.set()
                while True:
                    reply: Any = await self.listener.xread({self.stream: last}, count=100, block=BLOCK_MS)
                    for _, entries in reply or []:
                        for entry_id, fields in entries:
                            last = _id(entry_id)
                            self._deliver(fields.get(b"e", b""))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event relay lost Redis; reconnecting")
                listening.set()  # start-up goes on; events of others arrive once it reconnects
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _position(self, last: str | None) -> str:
        """Where to read from: the stream's end at start-up, else on from `last` (from the start
        when the stream is gone or was recreated since)."""
        top: Any = await self.listener.xrevrange(self.stream, count=1)
        newest = _id(top[0][0]) if top else None
        if last is None:
            return newest or START
        if newest is None or _before(newest, last):
            return START
        if last != START and not await self.listener.xrange(self.stream, last, last):  # trimmed?
            first: Any = await self.listener.xrange(self.stream, count=1)
            if first and _before(last, _id(first[0][0])):
                log.warning("event relay may have missed events: the stream keeps ~%d", self.maxlen)
        return last

    def _deliver(self, data: bytes | str) -> None:
        try:
            body = json.loads(data)
            if body.get("origin") == self.origin or self._repeat(str(body.get("id"))):
                return
            event = Event(body["account_id"], body["type"], body["data"], body["timestamp"])
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignored a malformed event on %s", self.stream)
            return
        self.bus.deliver_remote(event)

    def _repeat(self, event_id: str) -> bool:
        if event_id in self._seen:
            return True
        self._seen[event_id] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        return False
