"""What the replicas of one deployment share through Redis (`FRONTDESK_REDIS_URL`): one client,
the live-events relay (`redis_events.py`), commands to every replica (`redis_commands.py`, e.g.
cancel a turn another replica runs) and a health probe. Rate limits (`ratelimit.py`), the
turn event log (`agent/turn_stream.py`) and the job broker (`tools/jobs/queue.py`) use the same URL.

What is *not* here because PostgreSQL already shares it: the access-token deny-list (the
`revoked_access_tokens` table), the scheduler's exactly-once claim and the job / helper-execution
claims (conditional updates on their rows).
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from frontdesk.storage.events import EventBus
from frontdesk.storage.redis_commands import ReplicaCommands
from frontdesk.storage.redis_events import RedisEventRelay

HEALTH_TIMEOUT_SECONDS = 2.0


def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2)


class SharedRedis:
    def __init__(self, url: str, bus: EventBus) -> None:
        self.url = url
        # A command on a pooled connection that died with a Redis restart fails at once; it is
        # tried again on a new connection (twice at most) rather than failing its caller.
        self.client: Redis = Redis.from_url(
            url, socket_connect_timeout=HEALTH_TIMEOUT_SECONDS, retry=_retry()
        )
        # The stream reader and the subscriber wait as long as it takes (no read timeout); Redis's
        # own pings (`health_check_interval`) find a dead connection.
        self._listener: Redis = Redis.from_url(
            url, socket_timeout=None, health_check_interval=30, retry=_retry()
        )
        self.relay = RedisEventRelay(bus, self.client, self._listener)
        self.commands = ReplicaCommands(self.client, self._listener)

    async def start(self) -> None:
        await self.relay.start()
        await self.commands.start()

    async def health(self) -> str:
        """`connected`, or `error: <kind>`."""
        try:
            await asyncio.wait_for(self.client.ping(), HEALTH_TIMEOUT_SECONDS)
        except Exception as e:  # reported by /health, which answers 503
            return f"error: {type(e).__name__}"
        return "connected"

    async def aclose(self) -> None:
        await self.commands.stop()
        await self.relay.stop()
        await self._listener.aclose()
        await self.client.aclose()
