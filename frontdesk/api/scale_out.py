"""What one process shares with the other replicas of its deployment when `FRONTDESK_REDIS_URL`
is set (README "Scaled setup"), composed once at start-up like `api/background.py`:

- live events: the database's `EventBus` relays through a Redis Stream (`storage/redis_events.py`),
  which survives a short loss of the Redis link;
- the turn event log: the runner mirrors its turns to Redis Streams (`agent/turn_stream.py`);
- rate limits: `limiter(...)` gives a `RedisRateLimiter` (`ratelimit.py`): chat turns, auth per
  IP, failed logins per email, SMS texts per phone, inbound webhooks per account;
- cancelling a turn another replica runs: `cancel_elsewhere` asks every replica through Redis
  (`storage/redis_commands.py`) and the one holding the turn cancels it (`TurnRunner.cancel_held`);
- the job broker: `tools/jobs/queue.py` builds its taskiq Redis broker from the same URL.

Without the URL, `ScaleOut.connect` returns None and everything stays in the process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontdesk.agent.turns import TurnRunner
from frontdesk.config import Settings
from frontdesk.errors import Conflict
from frontdesk.ratelimit import RateLimiter, RedisRateLimiter
from frontdesk.storage.db import Database
from frontdesk.types import Principal

if TYPE_CHECKING:
    from frontdesk.agent.turn_stream import RedisTurnLog
    from frontdesk.storage.redis_state import SharedRedis

CANCEL_KIND = "cancel-turn"
CANCEL_WAIT_SECONDS = 10.0  # the replica holding the turn answers once the turn has ended


class ScaleOut:
    def __init__(self, redis: SharedRedis, turn_log: RedisTurnLog) -> None:
        self.redis, self.turn_log = redis, turn_log

    @classmethod
    def connect(cls, settings: Settings, db: Database, turns: TurnRunner) -> ScaleOut | None:
        """Attach the shared pieces to `db`'s bus and `turns` (nothing is contacted until `start`)."""
        if not settings.redis_url:
            return None
        try:
            from frontdesk.agent.turn_stream import RedisTurnLog
            from frontdesk.storage.redis_state import SharedRedis
        except ImportError as e:
            raise RuntimeError("FRONTDESK_REDIS_URL needs redis: pip install 'frontdesk[scale]'") from e
        redis = SharedRedis(settings.redis_url, db.events)
        turn_log = RedisTurnLog(redis.client, silent_seconds=settings.turn_timeout_seconds + 60)
        turns.event_log = turn_log
        redis.commands.handle(CANCEL_KIND, turns.cancel_held)
        return cls(redis, turn_log)

    async def cancel_elsewhere(self, turns: TurnRunner, principal: Principal, turn_id: str) -> str:
        """Cancel the principal's turn that runs on another replica (`TurnRunner.cancel` said
        `turn_elsewhere`); return its status once that replica ended it. `Conflict` as a local
        cancel gives it when the turn finished meanwhile (`turn_finished`), or `turn_elsewhere`
        when no replica holds it (its process stopped) or Redis cannot be reached."""
        await turns.lookup(principal, turn_id)  # NotFound unless it is the principal's
        try:
            status = await self.redis.commands.ask(CANCEL_KIND, turn_id, timeout=CANCEL_WAIT_SECONDS)
        except Exception as e:  # Redis away: nothing was cancelled
            raise Conflict(
                "The turn runs in another server process and Redis cannot be reached to cancel it",
                code="turn_elsewhere",
            ) from e
        if status is not None:
            return status
        row = await turns.lookup(principal, turn_id)
        if row.status != "running":
            raise Conflict(f"The turn already finished ({row.status})", code="turn_finished")
        raise Conflict(
            "No server process confirmed the cancel (the one running the turn may have stopped)",
            code="turn_elsewhere",
        )

    def limiter(self, limit: int, window_seconds: float, what: str = "requests") -> RateLimiter:
        return RedisRateLimiter(self.redis.client, limit, window_seconds, what)

    async def start(self) -> None:
        await self.redis.start()

    async def health(self) -> str:
        return await self.redis.health()

    async def aclose(self) -> None:
        await self.turn_log.aclose()
        await self.redis.aclose()


def shared_limiter(
    scale: ScaleOut | None, limit: int, window_seconds: float, what: str = "requests"
) -> RateLimiter:
    """A limiter counted in Redis when replicas share one, else in this process."""
    if scale is None:
        return RateLimiter(limit, window_seconds, what)
    return scale.limiter(limit, window_seconds, what)
