"""What replicas share through Redis when the link to Redis fails for a while, and the pieces added
for cross-replica cancel and shared limits, each between two "replicas" in one test process with a
real `redis-server`: live events appended while one process's link is cut reach it once the link is
back, events published while Redis is stopped reach the other process once Redis is restarted,
a command reaches the replica that holds the thing, and a limiter hit is taken back in Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from frontdesk.errors import RateLimited
from frontdesk.storage.events import Event, EventBus
from tests.scale.redis_proc import CuttableLink, RedisServer

pytest.importorskip("redis", reason="needs pip install -e '.[scale]'")
from redis.asyncio import Redis

from frontdesk.ratelimit import RedisRateLimiter
from frontdesk.storage.redis_commands import ReplicaCommands
from frontdesk.storage.redis_state import SharedRedis


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    redis = RedisServer(tmp_path)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
async def client(server: RedisServer) -> AsyncIterator[Redis]:
    c = Redis.from_url(server.url)
    yield c
    await c.aclose()


def lead(n: int) -> Event:
    return Event("acct:1", "lead.created", {"id": f"lead:{n}"})


async def ids(queue: asyncio.Queue[Event], count: int, timeout: float) -> list[str]:  # noqa: ASYNC109
    return [str((await asyncio.wait_for(queue.get(), timeout)).data["id"]) for _ in range(count)]


async def test_events_appended_while_a_replicas_link_is_cut_reach_it_when_it_is_back(
    server: RedisServer,
) -> None:
    link = CuttableLink(server.port)
    await link.restore()
    bus_a, bus_b = EventBus(), EventBus()
    a, b = SharedRedis(server.url, bus_a), SharedRedis(link.url, bus_b)
    await a.start()
    await b.start()
    try:
        with bus_b.subscribe("acct:1") as socket:
            bus_a.publish(lead(0))
            assert await ids(socket, 1, 5) == ["lead:0"]
            await link.cut()  # B cannot reach Redis; A can
            bus_a.publish(lead(1))
            bus_a.publish(lead(2))
            await asyncio.sleep(2.0)
            assert socket.empty()  # B really was away
            await link.restore()
            assert await ids(socket, 2, 15) == ["lead:1", "lead:2"]  # read on from its last id
            await asyncio.sleep(0.5)
            assert socket.empty()  # each once
    finally:
        await a.aclose()
        await b.aclose()
        await link.cut()


async def test_events_published_while_redis_is_stopped_arrive_after_it_restarts(server: RedisServer) -> None:
    bus_a, bus_b = EventBus(), EventBus()
    a, b = SharedRedis(server.url, bus_a), SharedRedis(server.url, bus_b)
    await a.start()
    await b.start()
    try:
        with bus_b.subscribe("acct:1") as socket, bus_a.subscribe("acct:1") as mine:
            bus_a.publish(lead(0))
            assert await ids(socket, 1, 5) == ["lead:0"]
            server.stop()  # both lose Redis (and the stream: no persistence)
            bus_a.publish(lead(1))
            assert await ids(mine, 2, 1) == ["lead:0", "lead:1"]  # the writer's own process at once
            await asyncio.sleep(1.5)
            server.start()
            assert await ids(socket, 1, 20) == ["lead:1"]  # kept by A's sender, read by B
            bus_a.publish(lead(2))
            assert await ids(socket, 1, 5) == ["lead:2"]
    finally:
        await a.aclose()
        await b.aclose()


async def test_a_command_is_answered_by_the_replica_that_holds_the_thing(client: Redis) -> None:
    held: dict[str, str] = {"turn:1": "cancelled"}

    async def holder(arg: str) -> str | None:
        return held.get(arg)

    async def elsewhere(arg: str) -> str | None:
        return None

    a, b = ReplicaCommands(client, client), ReplicaCommands(client, client)
    a.handle("cancel-turn", holder)
    b.handle("cancel-turn", elsewhere)
    await a.start()
    await b.start()
    try:
        assert await b.ask("cancel-turn", "turn:1", timeout=5) == "cancelled"
        started = time.monotonic()
        assert await b.ask("cancel-turn", "turn:2", timeout=5) is None
        assert time.monotonic() - started < 2  # every replica answered: no waiting for the timeout
        assert await b.ask("unknown-kind", "turn:1", timeout=5) is None
    finally:
        await a.stop()
        await b.stop()


async def test_a_limiter_hit_taken_back_frees_its_place_for_every_replica(client: Redis) -> None:
    one, two = (RedisRateLimiter(client, 2, 900.0, "failed logins") for _ in range(2))
    await one.ahit("login:x")
    token = await two.ahit("login:x")
    await two.aforget("login:x", token)  # the login succeeded: it does not count
    await two.ahit("login:x")
    with pytest.raises(RateLimited):
        await one.ahit("login:x")
    assert await one.once("sms-notice:+15550001", 60) and not await two.once("sms-notice:+15550001", 60)
