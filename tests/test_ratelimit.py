"""Rate limiters: the in-process window, and a Redis-backed one whose Redis is unreachable (503 with
`Retry-After`, never a 500 and never an uncounted pass)."""

from __future__ import annotations

import socket

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from frontdesk.api.errors import install
from frontdesk.errors import RateLimited, Unavailable
from frontdesk.ratelimit import RateLimiter, RedisRateLimiter


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_in_process_window_refuses_at_the_limit_and_forgets() -> None:
    limiter = RateLimiter(2, 60, "logins")
    first = limiter.hit("a")
    limiter.hit("a")
    with pytest.raises(RateLimited) as refused:
        limiter.hit("a")
    assert "2 logins per 60 s" in refused.value.detail
    limiter.forget("a", first)
    limiter.hit("a")  # one taken back: room for one more
    limiter.hit("b")  # another key has its own window


async def test_redis_down_is_503_with_retry_after_through_http() -> None:
    client = Redis(host="127.0.0.1", port=closed_port(), socket_connect_timeout=0.5)
    limiter = RedisRateLimiter(client, 5, 60, "webhooks")
    with pytest.raises(Unavailable):
        await limiter.ahit("k")
    with pytest.raises(Unavailable):
        await limiter.once("k", 60)

    app = FastAPI()
    install(app)

    @app.post("/hit")
    async def hit() -> dict[str, str]:
        await limiter.ahit("k")
        return {"ok": "counted"}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        response = await http.post("/hit")
    await client.aclose()
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    body = response.json()
    assert body["code"] == "unavailable"
    assert "webhooks cannot be checked" in body["detail"]
