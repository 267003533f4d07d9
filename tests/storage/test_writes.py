"""Writes that cannot collide: many writers appending to one conversation at once, from one
`Database` and from two (as two processes would), on SQLite and PostgreSQL alike; SQLite's busy
errors are retried, and a busy store reaches an HTTP client as 503, never 500."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import OperationalError
from starlette.requests import Request

from frontdesk.api.errors import database_error
from frontdesk.storage import conversations as store
from frontdesk.storage.db import Database, is_busy
from frontdesk.storage.models import Conversation, Message
from tests.conftest import new_identity


async def append(db: Database, conversation_id: str, text: str) -> Message:
    async def write(s):  # type: ignore[no-untyped-def]
        conv = await s.get(Conversation, conversation_id)
        [msg] = await store.add_messages(s, conv, [store.NewMessage("user", text)], commit=False)
        return msg

    return await db.run_write(write, retry_conflicts=True)


async def test_concurrent_appends_from_two_databases_never_collide(db: Database) -> None:
    principal = (await new_identity(db)).principal()
    conv = await db.run_write(lambda s: store.create_conversation(s, principal))
    other = Database(db.url)  # a second engine and pool: what a second process would have
    try:
        texts = [f"m{i}" for i in range(60)]
        writers = [append(db if i % 2 else other, conv.id, t) for i, t in enumerate(texts)]
        stored = await asyncio.gather(*writers)
    finally:
        await other.close()
    async with db.session() as s:
        rows, total = await store.list_messages(s, conv.id, limit=100, offset=0)
    assert total == 60 and sorted(m.content for m in rows) == sorted(texts)
    assert [m.seq for m in rows] == list(range(1, 61))
    assert {m.id for m in stored} == {m.id for m in rows}


async def test_busy_is_retried_then_reported(db: Database) -> None:
    calls = 0

    async def flaky(_s):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls < 3:
            raise OperationalError("INSERT ...", {}, Exception("database is locked"))
        return "ok"

    assert await db.run_write(flaky) == "ok" and calls == 3

    async def always_busy(_s):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT ...", {}, Exception("database is locked"))

    with pytest.raises(OperationalError) as caught:
        await db.run_write(always_busy)
    assert is_busy(caught.value)


async def test_a_busy_store_answers_503_with_retry_after() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/x", "query_string": b"", "headers": []})
    busy = OperationalError("INSERT ...", {}, Exception("database is locked"))
    response = await database_error(request, busy)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert b'"code":"busy"' in response.body
    other = OperationalError("SELECT ...", {}, Exception("disk I/O error"))
    assert (await database_error(request, other)).status_code == 500
