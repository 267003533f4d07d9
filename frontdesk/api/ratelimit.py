"""In-memory sliding-window rate limiter (the embedded default; Redis comes with scale-out)."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque

from frontdesk.errors import RateLimited


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)

    def hit(self, key: str) -> None:
        """Count one request for `key`; raise `RateLimited` (with seconds to wait) when over the limit."""
        if self.limit <= 0:
            return
        now = time.monotonic()
        hits = self._hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            retry = max(1, math.ceil(hits[0] + self.window - now))
            raise RateLimited(f"Rate limit of {self.limit} requests per {self.window:g} s exceeded", retry)
        hits.append(now)
        if len(self._hits) > 10_000:  # drop idle keys so memory stays bounded
            for k in [k for k, v in self._hits.items() if not v]:
                del self._hits[k]
