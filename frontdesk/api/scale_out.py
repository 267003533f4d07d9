"""What one process shares with the other replicas of its deployment when `FRONTDESK_REDIS_URL`
is set (README "Scaled setup"), composed once at start-up like `api/background.py`:

- live events: the database's `EventBus` relays through Redis pub/sub (`storage/redis_events.py`);
- the turn event log: the runner mirrors its turns to Redis Streams (`agent/turn_stream.py`);
- rate limits: `limiter(...)` gives a `RedisRateLimiter` (`ratelimit.py`);
- the job broker: `tools/jobs/queue.py` builds its taskiq Redis broker from the same URL.

Without the URL, `ScaleOut.connect` returns None and everything stays in the process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontdesk.agent.turns import TurnRunner
from frontdesk.config import Settings
from frontdesk.ratelimit import RateLimiter, RedisRateLimiter
from frontdesk.storage.db import Database

if TYPE_CHECKING:
    from frontdesk.agent.turn_stream import RedisTurnLog
    from frontdesk.storage.redis_state import SharedRedis


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
        return cls(redis, turn_log)

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
