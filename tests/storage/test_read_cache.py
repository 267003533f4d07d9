"""The per-turn read caches (`storage.read_cache`): a write through any session of this process
clears them at once, a write another process makes is seen after the TTL, and a load that raced a
write is not kept. On the real store (SQLite file, or FRONTDESK_DATABASE_URL)."""

from __future__ import annotations

import asyncio

from sqlalchemy import update

from frontdesk.storage import account_settings
from frontdesk.storage.db import Database
from frontdesk.storage.read_cache import ReadCache
from frontdesk.storage.team_models import AccountSettings
from tests.conftest import demo_identity, new_identity


async def _set(db: Database, account_id: str, value: bool) -> None:
    async with db.session() as s:
        extra = await s.get(AccountSettings, account_id)
        if extra is None:
            s.add(AccountSettings(account_id=account_id, company=None, settings={"approve_writes": value}))
        else:
            extra.settings = dict(extra.settings or {}) | {"approve_writes": value}
        await s.commit()


async def test_approve_writes_defaults_and_follows_this_process_writes(db: Database) -> None:
    demo = (await demo_identity(db)).account.id
    other = (await new_identity(db)).account.id
    assert await account_settings.approve_writes(db, demo) is False  # unset: off for the demo account
    assert await account_settings.approve_writes(db, other) is True  # unset: on
    await _set(db, other, False)  # an ORM change: cleared when it flushes and commits
    assert await account_settings.approve_writes(db, other) is False
    async with db.session() as s:  # an UPDATE statement through a session clears it too
        await s.execute(
            update(AccountSettings)
            .where(AccountSettings.account_id == other)
            .values(settings={"approve_writes": True})
        )
        await s.commit()
    assert await account_settings.approve_writes(db, other) is True


async def test_a_write_outside_the_sessions_is_seen_after_the_ttl(db: Database) -> None:
    account = (await new_identity(db)).account.id
    loads = 0

    async def load() -> bool:
        nonlocal loads
        loads += 1
        return await account_settings._read_approve_writes(db, account)

    cache: ReadCache[bool] = ReadCache("test_ttl", watches=(), ttl=0.2)  # watches nothing: TTL only
    assert await cache.get(account, load) is True
    await _set(db, account, False)
    assert await cache.get(account, load) is True and loads == 1  # still the kept value
    await asyncio.sleep(0.25)
    assert await cache.get(account, load) is False and loads == 2


async def test_a_load_that_raced_a_write_is_not_kept(db: Database) -> None:
    account = (await new_identity(db)).account.id
    cache: ReadCache[str] = ReadCache("test_race", watches=(AccountSettings,), ttl=60)
    calls = 0

    async def slow_load() -> str:
        nonlocal calls
        calls += 1
        value = f"read {calls}"
        await _set(db, account, calls % 2 == 0)  # a write lands while this read is in flight
        return value

    assert await cache.get(account, slow_load) == "read 1"

    async def fast_load() -> str:
        return "fresh"

    assert await cache.get(account, fast_load) == "fresh"  # the raced value was not kept
    assert await cache.get(account, slow_load) == "fresh"  # this one was


async def test_callers_that_miss_together_share_one_load() -> None:
    """A busy server's expired entry: 32 requests at once run one load; a caller cancelled while
    it waits leaves the load to the others; a failed load fails its waiters and the next get loads
    again; a clear while a load runs sends later callers to a load of their own."""
    cache: ReadCache[int] = ReadCache("test_shared", watches=(), ttl=60)
    gate, loads = asyncio.Event(), 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        n = loads
        await gate.wait()
        return n

    first = asyncio.create_task(cache.get("k", load))
    others = [asyncio.create_task(cache.get("k", load)) for _ in range(31)]
    await asyncio.sleep(0.01)
    first.cancel()
    gate.set()
    assert await asyncio.gather(*others) == [1] * 31 and loads == 1
    assert await cache.get("k", load) == 1  # kept

    async def failing() -> int:
        await asyncio.sleep(0.01)
        raise LookupError("the store said no")

    waiting = [asyncio.create_task(cache.get("f", failing)) for _ in range(3)]
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, LookupError) for r in results)
    assert await cache.get("f", lambda: asyncio.sleep(0, result=5)) == 5

    gate.clear()
    cache.clear()
    before = asyncio.create_task(cache.get("k", load))  # load 2, begun before the write
    await asyncio.sleep(0.01)
    cache.clear()  # a write: a caller from now on must not get the load begun before it
    after = asyncio.create_task(cache.get("k", load))  # load 3
    await asyncio.sleep(0.01)
    gate.set()
    assert (await before, await after) == (2, 3)
    assert await cache.get("k", load) == 3  # only the load begun after the write was kept
