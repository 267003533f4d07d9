"""In-memory sliding-window rate limiter (the embedded default; Redis comes with scale-out).

It sits beside `errors.py` so every layer can count against the same limit: the REST chat routes
(`api/deps.py`) and the `ask_frontdesk` tool (`agent/delegate.py`) share one `chat:<user_id>` key.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque

from frontdesk.errors import RateLimited


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
            retry = max(1, math.ceil(hits[0] + self.window - now))
            raise RateLimited(
                f"Rate limit of {self.limit} {self.what} per {self.window:g} s exceeded; "
                f"try again in {retry} s",
                retry,
            )

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
