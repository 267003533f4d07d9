"""Ask every replica of a deployment to act on something only one of them holds, and hear back.

Today one command uses it: cancelling a turn that runs in another process (`api/scale_out.py`).
The asking replica publishes `{kind, arg, reply}` on one pub/sub channel; every subscribed
process runs its handler for `kind` and pushes its answer (`null` when the thing is not its own)
onto the list `reply`, which the asker pops with `BLPOP` until one answer is not null, all
receivers (PUBLISH's count) have answered, or the timeout passes.

A command is fire-and-forget like pub/sub: a process reconnecting to Redis at that moment does
not hear it, and the asker times out (its caller says so; nothing is half done).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)
CHANNEL = "frontdesk:commands"
REPLY_KEEP_SECONDS = 60
RECONNECT_SECONDS = 1.0

Handler = Callable[[str], Awaitable[str | None]]


class ReplicaCommands:
    """`handle(kind, fn)` before `start()`; `ask(kind, arg)` from any replica."""

    def __init__(self, client: Redis, listener: Redis, channel: str = CHANNEL) -> None:
        """`client` publishes and answers; `listener` (a client without a read timeout) subscribes."""
        self.client, self.listener, self.channel = client, listener, channel
        self._handlers: dict[str, Handler] = {}
        self._task: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    def handle(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    async def start(self) -> None:
        """Return once this process listens (or, Redis being away, once it tried)."""
        if self._task is not None:
            return
        listening = asyncio.Event()
        self._task = asyncio.create_task(self._receive(listening), name="replica-commands")
        await listening.wait()

    async def stop(self) -> None:
        tasks = [t for t in [self._task, *self._running] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    async def ask(self, kind: str, arg: str, *, timeout: float) -> str | None:  # noqa: ASYNC109
        """The first non-null answer of any replica, or None when every replica answered null or
        `timeout` seconds passed. Raises the client's error when Redis cannot be reached."""
        reply = f"frontdesk:reply:{uuid.uuid4().hex}"
        receivers = int(
            await self.client.publish(self.channel, json.dumps({"kind": kind, "arg": arg, "reply": reply}))
        )
        deadline = time.monotonic() + timeout
        try:
            for _ in range(receivers):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                popped: Any = await self.client.blpop([reply], timeout=left)
                if popped is None:
                    return None
                answer = json.loads(popped[1])
                if answer is not None:
                    return str(answer)
            return None
        finally:
            with contextlib.suppress(Exception):
                await self.client.delete(reply)

    async def _receive(self, listening: asyncio.Event) -> None:
        while True:
            try:
                async with self.listener.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    listening.set()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("replica commands lost Redis; reconnecting")
                listening.set()
                await asyncio.sleep(RECONNECT_SECONDS)

    def _dispatch(self, data: bytes | str) -> None:
        try:
            body = json.loads(data)
            kind, arg, reply = str(body["kind"]), str(body["arg"]), str(body["reply"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed command on %s", self.channel)
            return
        task = asyncio.create_task(self._answer(kind, arg, reply), name=f"command-{kind}")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _answer(self, kind: str, arg: str, reply: str) -> None:
        handler = self._handlers.get(kind)
        answer: str | None = None
        try:
            if handler is not None:
                answer = await handler(arg)
        except Exception:
            log.exception("command %s %s failed", kind, arg)
        try:
            await self.client.rpush(reply, json.dumps(answer))
            await self.client.expire(reply, REPLY_KEEP_SECONDS)
        except Exception:  # the asker times out
            log.exception("could not answer command %s", kind)
