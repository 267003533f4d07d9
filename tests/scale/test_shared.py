"""The pieces replicas share, each between two "replicas" in one test process: the Redis rate limit,
the event relay and the turn event log (Redis Streams) and migrations under the advisory
lock on an empty PostgreSQL database. Real `redis-server` and PostgreSQL; skips without them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from frontdesk.agent.events import AgentChosen, AgentEvent, Done, TextDelta
from frontdesk.agent.turn_log import LiveTurn
from frontdesk.errors import RateLimited
from frontdesk.storage.db import Database
from frontdesk.storage.events import Event, EventBus
from frontdesk.storage.migrate import upgrade
from tests.scale.cluster import postgres_database, redis_server

pytest.importorskip("redis", reason="needs pip install -e '.[scale]'")
from redis.asyncio import Redis

from frontdesk.agent.turn_stream import RedisTurnLog
from frontdesk.ratelimit import RedisRateLimiter
from frontdesk.storage.redis_state import SharedRedis


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
async def client(redis_url: str) -> AsyncIterator[Redis]:
    c = Redis.from_url(redis_url)
    yield c
    await c.aclose()


async def test_a_rate_limit_holds_across_two_limiters(client: Redis) -> None:
    one, two = (RedisRateLimiter(client, 3, 60.0, "chat turns") for _ in range(2))
    await one.ahit("chat:u1")
    await two.ahit("chat:u1")
    await one.ahit("chat:u1")
    with pytest.raises(RateLimited) as refused:
        await two.ahit("chat:u1")
    assert 1 <= refused.value.retry_after <= 60 and "3 chat turns per 60 s" in str(refused.value)
    await two.ahit("chat:u2")  # another key counts on its own


async def test_events_cross_to_the_other_process_account_sockets_only(redis_url: str) -> None:
    bus_a, bus_b = EventBus(), EventBus()
    a, b = SharedRedis(redis_url, bus_a), SharedRedis(redis_url, bus_b)
    await a.start()
    await b.start()
    try:
        assert await a.health() == "connected"
        await asyncio.sleep(6)  # longer than redis-py's default read timeout: the subscriber stays
        with (
            bus_a.subscribe("acct:1") as mine,
            bus_b.subscribe("acct:1") as socket,
            bus_b.subscribe(None) as background,
        ):
            bus_a.publish(Event("acct:1", "lead.created", {"id": "lead:1"}))
            heard = await asyncio.wait_for(socket.get(), 5)
            assert heard.type == "lead.created" and heard.data == {"id": "lead:1"}
            await asyncio.sleep(0.3)
            assert mine.qsize() == 1  # its own event once, not echoed back from Redis
            assert background.empty()  # B's webhook fan-out does not fire A's change again
    finally:
        await a.aclose()
        await b.aclose()


async def test_a_turn_is_followed_from_the_other_process(client: Redis) -> None:
    here, there = RedisTurnLog(client, silent_seconds=30), RedisTurnLog(client, silent_seconds=30)
    live = LiveTurn("turn:t1", "conv:1", "acct:1", "user:1")
    live.append(AgentChosen("sales"))
    await here.mirror(live)
    assert await there.has("turn:t1") and not await there.has("turn:nope")
    live.append(TextDelta("Hello"))
    followed: list[tuple[int, AgentEvent]] = []

    async def follow() -> None:
        async for item in there.follow("turn:t1", after=1):
            followed.append(item)

    follower = asyncio.create_task(follow())
    await asyncio.sleep(0.3)
    live.append(Done("conv:1", "msg:1", "Hello", "sales"))
    live.close("completed")
    await asyncio.wait_for(follower, 5)
    assert followed == [(2, TextDelta("Hello")), (3, Done("conv:1", "msg:1", "Hello", "sales"))]
    await here.aclose()


def test_three_processes_migrate_an_empty_database_at_once() -> None:
    async def migrate(url: str) -> None:
        dbs = [Database(url) for _ in range(3)]
        try:
            await asyncio.gather(*(upgrade(db) for db in dbs))  # one after another, under the lock
        finally:
            for db in dbs:
                await db.close()

    with postgres_database() as url:
        asyncio.run(migrate(url))
