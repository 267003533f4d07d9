"""Live events across replicas: the `EventBus` of each process relays what it publishes to one
Redis pub/sub channel and hands what the other processes published to its account subscribers
(`EventBus.deliver_remote`), so a lead created through replica A reaches a `/ws` socket on B.

Pub/sub is fire-and-forget, like the in-process bus: a process that is not subscribed at the
moment (starting, reconnecting after Redis went away) misses those events. Publishing never
blocks the writer: events wait in a bounded queue for the sender task (a full queue drops, logged).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid

from redis.asyncio import Redis

from frontdesk.storage.events import Event, EventBus

log = logging.getLogger(__name__)
CHANNEL = "frontdesk:events"
OUTBOX_SIZE = 4096
RECONNECT_SECONDS = 1.0


class RedisEventRelay:
    """`start()` returns once this process listens on the channel; `stop()` detaches from the bus."""

    def __init__(self, bus: EventBus, client: Redis, listener: Redis, channel: str = CHANNEL) -> None:
        """`client` publishes; `listener` (a client without a read timeout) subscribes."""
        self.bus, self.client, self.listener, self.channel = bus, client, listener, channel
        self.origin = uuid.uuid4().hex  # this process: its own events come back and are skipped
        self._outbox: asyncio.Queue[Event] = asyncio.Queue(maxsize=OUTBOX_SIZE)
        self._tasks: list[asyncio.Task[None]] = []

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
            event = await self._outbox.get()
            body = {"origin": self.origin, "account_id": event.account_id} | event.to_json()
            try:
                await self.client.publish(self.channel, json.dumps(body))
            except Exception:  # Redis away: this event is lost to the other replicas (logged)
                log.exception("could not relay event %s to Redis", event.type)
            finally:
                self._outbox.task_done()

    async def _receive(self, listening: asyncio.Event) -> None:
        while True:
            try:
                async with self.listener.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    listening.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._deliver(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event relay lost Redis; reconnecting")
                listening.set()  # start-up goes on; events of others arrive once it reconnects
                await asyncio.sleep(RECONNECT_SECONDS)

    def _deliver(self, data: bytes | str) -> None:
        try:
            body = json.loads(data)
            if body.get("origin") == self.origin:
                return
            event = Event(body["account_id"], body["type"], body["data"], body["timestamp"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed event on %s", self.channel)
            return
        self.bus.deliver_remote(event)
