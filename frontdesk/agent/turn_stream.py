"""The turn event log shared by replicas (Redis Streams): `GET /chat/turns/{id}/stream` with
`Last-Event-ID` resumes on any replica while the turn runs on another.

The runner (`agent/turns.py`) hands each turn it starts to `mirror`: the stream
`frontdesk:turn:<turn_id>` is opened at once (an entry `n=0`), then a task copies the turn's
events (`n=1, 2, ...`, the numbers of `LiveTurn.follow`) as they happen, all those appended since
the last write in one pipelined round trip (`LiveTurn.batches`). A runner that does not
hold the turn `follow`s the stream: replay after `n`, then block for new entries until `done` or
`error`. Streams expire `KEEP_SECONDS` after their last event; a finished turn replays from its
row as before. A stream that stays silent longer than any turn may run (its replica died) ends
with an `interrupted` error, as the row-polling follower does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Protocol

from frontdesk.agent.events import AgentEvent, Done, Failed, event_dict, event_from_dict
from frontdesk.agent.turn_log import LiveTurn
from frontdesk.storage.turns import INTERRUPTED_DETAIL

if TYPE_CHECKING:  # the `scale` extra; the runner imports this module without it
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
KEEP_SECONDS = 3600
BLOCK_MS = 1000
CLOSE_GRACE_SECONDS = 5.0


class TurnEventLog(Protocol):
    """What the runner needs from a shared event log."""

    async def mirror(self, live: LiveTurn) -> None: ...

    async def has(self, turn_id: str) -> bool: ...

    def follow(self, turn_id: str, after: int) -> AsyncIterator[tuple[int, AgentEvent]]: ...

    async def aclose(self) -> None: ...


def stream_key(turn_id: str) -> str:
    return f"frontdesk:turn:{turn_id}"


class RedisTurnLog:
    def __init__(self, client: Redis, *, silent_seconds: float) -> None:
        self.client = client
        self.silent_seconds = silent_seconds  # no entry for this long: the running replica is gone
        self._copies: set[asyncio.Task[None]] = set()

    async def mirror(self, live: LiveTurn) -> None:
        key = stream_key(live.turn_id)
        try:
            async with self.client.pipeline(transaction=False) as pipe:  # one round trip
                pipe.xadd(key, {"n": "0"})
                pipe.expire(key, KEEP_SECONDS)
                await pipe.execute()
        except Exception:  # the turn runs and is stored all the same; only other replicas miss it
            log.exception("could not open the Redis stream of turn %s", live.turn_id)
            return
        task = asyncio.create_task(self._copy(live), name=f"{live.turn_id}-stream")
        self._copies.add(task)
        task.add_done_callback(self._copies.discard)

    async def _copy(self, live: LiveTurn) -> None:
        key = stream_key(live.turn_id)
        try:
            ended = False
            async for batch in live.batches(0):  # the events appended since the last round trip
                ended = isinstance(batch[-1][1], Done | Failed)
                async with self.client.pipeline(transaction=False) as pipe:
                    for n, event in batch:
                        pipe.xadd(key, {"n": str(n), "event": json.dumps(event_dict(event))})
                    if ended:
                        pipe.expire(key, KEEP_SECONDS)
                    await pipe.execute()
            if not ended:
                await self.client.expire(key, KEEP_SECONDS)
        except Exception:  # followers elsewhere end as interrupted; the row still gets the events
            log.exception("could not copy turn %s to Redis", live.turn_id)

    async def has(self, turn_id: str) -> bool:
        try:
            return bool(await self.client.exists(stream_key(turn_id)))
        except Exception:  # Redis away: the runner falls back to polling the turn's row
            log.exception("could not look up the Redis stream of turn %s", turn_id)
            return False

    async def follow(self, turn_id: str, after: int) -> AsyncIterator[tuple[int, AgentEvent]]:
        key, last_id, heard = stream_key(turn_id), "0-0", time.monotonic()
        while True:
            reply: Any = await self.client.xread({key: last_id}, count=100, block=BLOCK_MS)
            if not reply:
                if time.monotonic() - heard > self.silent_seconds:
                    yield after + 1, Failed(INTERRUPTED_DETAIL, "interrupted")
                    return
                continue
            heard = time.monotonic()
            for entry_id, fields in reply[0][1]:
                last_id = entry_id
                n = int(fields[b"n"])
                if n == 0:
                    continue
                event = event_from_dict(json.loads(fields[b"event"]))
                if n > after:
                    after = n
                    yield n, event
                if isinstance(event, Done | Failed):
                    return

    async def aclose(self) -> None:
        """Let the copies of turns that just ended reach Redis (the runner has stopped its turns)."""
        if self._copies:
            _, pending = await asyncio.wait(set(self._copies), timeout=CLOSE_GRACE_SECONDS)
            for task in pending:
                task.cancel()
