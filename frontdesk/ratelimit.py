"""Sliding-window rate limiters: in memory (the embedded default) or in Redis, shared by replicas.

It sits beside `errors.py` so every layer can count against the same limit: the REST chat routes
(`api/deps.py`), the voice door and the `ask_frontdesk` tool (`agent/delegate.py`) share one
`chat:<user_id>` key. Async callers count with `await limiter.ahit(key)` (and take a hit back
with `aforget`), which a `RedisRateLimiter` answers from Redis: one user's 30 turns a minute, an
email's failed logins, a phone's texts an hour and an account's inbound webhooks hold across
replicas. The synchronous `hit` / `check` / `forget` count in this process only.
"""

from __future__ import annotations

import math
import time
import uuid
from collections import defaultdict, deque
from typing import TYPE_CHECKING

from frontdesk.errors import RateLimited, Unavailable

try:  # the `scale` extra; without it only the in-process limiter is used
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is installed with the test extra
    RedisError = OSError  # type: ignore[misc,assignment]

if TYPE_CHECKING:
    from redis.asyncio import Redis


def chat_key(user_id: str) -> str:
    """The key of a user's chat turns, whichever door (REST, MCP over HTTP or stdio) they come by."""
    return f"chat:{user_id}"


class RateLimiter:
    """At most `limit` hits per key in any `window_seconds`; `limit <= 0` turns it off."""

    def __init__(self, limit: int, window_seconds: float, what: str = "requests") -> None:
        self.limit = limit
        self.window = window_seconds
        self.what = what
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._marks: dict[str, float] = {}  # `once`: key -> when its mark expires

    def check(self, key: str) -> None:
        """Raise `RateLimited` (with seconds to wait) when `key` is at its limit; count nothing."""
        if self.limit <= 0:
            return
        hits = self._hits.get(key)
        if not hits:
            return
        now = time.monotonic()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            self._refuse(hits[0] + self.window - now)

    def _refuse(self, wait_seconds: float) -> None:
        retry = max(1, math.ceil(wait_seconds))
        raise RateLimited(
            f"Rate limit of {self.limit} {self.what} per {self.window:g} s exceeded; try again in {retry} s",
            retry,
        )

    async def ahit(self, key: str) -> str:
        """`hit` for async callers (a shared limiter counts in Redis). Returns a token that
        `aforget` takes back."""
        return repr(self.hit(key))

    async def aforget(self, key: str, token: str) -> None:
        """Take back one hit counted by `ahit` (e.g. a login attempt that turned out to succeed)."""
        self.forget(key, float(token))

    async def once(self, key: str, seconds: float) -> bool:
        """True the first time `key` is marked in `seconds`, then False until they pass (one
        "you are over the limit" notice per window, whichever replica refuses)."""
        now = time.monotonic()
        if self._marks.get(key, 0.0) > now:
            return False
        self._marks[key] = now + seconds
        if len(self._marks) > 10_000:
            self._marks = {k: v for k, v in self._marks.items() if v > now}
        return True

    def hit(self, key: str) -> float:
        """Count one hit for `key`, or raise `RateLimited` when over the limit. Returns the hit's
        stamp, which `forget` takes back (e.g. a login attempt that turned out to succeed)."""
        self.check(key)
        now = time.monotonic()
        if self.limit <= 0:
            return now
        self._hits[key].append(now)
        if len(self._hits) > 10_000:  # drop idle keys so memory stays bounded
            for k in [k for k, v in self._hits.items() if not v]:
                del self._hits[k]
        return now

    def forget(self, key: str, stamp: float) -> None:
        """Take back one hit counted by `hit`."""
        hits = self._hits.get(key)
        if hits is not None and stamp in hits:
            hits.remove(stamp)


# One atomic step on a sorted set of hit stamps (Redis server time, so replicas share one clock):
# drop stamps older than the window, refuse with the oldest stamp when full, else add this one.
_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
return '0'
"""


class RedisRateLimiter(RateLimiter):
    """The same sliding window kept in Redis (`frontdesk:rate:<key>`), counted by `ahit`; `once`
    marks are Redis keys too (`frontdesk:once:<key>`, SET NX with an expiry)."""

    def __init__(self, client: Redis, limit: int, window_seconds: float, what: str = "requests") -> None:
        super().__init__(limit, window_seconds, what)
        self.client = client
        self._script = client.register_script(_SLIDING_WINDOW)

    async def ahit(self, key: str) -> str:
        member = uuid.uuid4().hex  # the hit's token: its member in the sorted set
        if self.limit <= 0:
            return member
        try:
            keys = [f"frontdesk:rate:{key}"]
            wait = float(await self._script(keys=keys, args=[self.window, self.limit, member]))
        except RedisError as exc:
            raise self._unreachable(exc) from exc
        if wait > 0:
            self._refuse(wait)
        return member

    async def aforget(self, key: str, token: str) -> None:
        try:
            await self.client.zrem(f"frontdesk:rate:{key}", token)
        except RedisError as exc:
            raise self._unreachable(exc) from exc

    async def once(self, key: str, seconds: float) -> bool:
        ms = max(1, math.ceil(seconds * 1000))
        try:
            return bool(await self.client.set(f"frontdesk:once:{key}", "1", px=ms, nx=True))
        except RedisError as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: Exception) -> Unavailable:
        """Redis down: the limit cannot be counted, so nothing is done (503, retry), never a 500
        and never an uncounted pass."""
        return Unavailable(
            f"The shared limit of {self.what} cannot be checked ({type(exc).__name__}); retry shortly"
        )
