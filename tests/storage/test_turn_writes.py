"""The turn's Core-statement writes (`storage.turn_writes`) on SQLite and PostgreSQL: consecutive
sequence numbers from the number read in the same transaction, writers from two engines that never
collide, ownership checked without changing another user's row, the approval wait read with it,
and a turn's end recorded."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from frontdesk.storage import conversations as store
from frontdesk.storage import turn_writes as writes
from frontdesk.storage import turns as turn_store
from frontdesk.storage.checkpoint_models import ApprovalWait
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Conversation, Message
from frontdesk.storage.turn_models import Turn
from tests.conftest import new_identity


async def append(db: Database, conversation_id: str, text: str) -> Message:
    async def write(s: Any) -> Message:
        found = await writes.update_for_write(s, conversation_id, {"updated_at": utcnow()})
        assert found is not None
        [msg] = await writes.insert_messages(
            s, found.conversation, [store.NewMessage("user", text)], last_seq=found.last_seq, now=utcnow()
        )
        return msg

    return await db.run_write(write, retry_conflicts=True)


async def test_appends_from_two_engines_take_consecutive_numbers(db: Database) -> None:
    principal = (await new_identity(db)).principal()
    conv = await db.run_write(lambda s: store.create_conversation(s, principal))
    other = Database(db.url)  # a second engine and pool: what a second process would have
    try:
        texts = [f"m{i}" for i in range(30)]
        stored = await asyncio.gather(
            *(append(db if i % 2 else other, conv.id, t) for i, t in enumerate(texts))
        )
    finally:
        await other.close()
    async with db.session() as s:
        rows, total = await store.list_messages(s, conv.id, limit=100, offset=0)
    assert total == 30 and [m.seq for m in rows] == list(range(1, 31))
    assert sorted(m.content for m in rows) == sorted(texts)
    assert {m.id for m in stored} == {m.id for m in rows}


async def test_owner_checked_and_wait_read_in_the_same_statement(db: Database) -> None:
    owner = (await new_identity(db, "Owner")).principal()
    stranger = (await new_identity(db, "Stranger")).principal()
    conv = await db.run_write(lambda s: store.create_conversation(s, owner, title="kept"))
    before = conv.updated_at

    async def touch(s: Any, who: Any) -> writes.Stored | None:
        owned = (who.account_id, who.user_id)
        return await writes.update_for_write(s, conv.id, {"updated_at": utcnow()}, owner=owned)

    assert await db.run_write(lambda s: touch(s, stranger)) is None
    async with db.session() as s:
        row = await s.get(Conversation, conv.id)
        assert row is not None and row.updated_at.replace(tzinfo=None) == before.replace(tzinfo=None)

    async def wait(s: Any) -> None:
        s.add(ApprovalWait(conversation_id=conv.id, thread_id=f"{conv.id}:t1"))

    await db.run_write(wait)
    found = await db.run_write(lambda s: touch(s, owner))
    assert found is not None
    assert (found.conversation.title, found.last_seq, found.waiting) == ("kept", 0, f"{conv.id}:t1")


async def test_a_turn_row_written_and_finished(db: Database) -> None:
    principal = (await new_identity(db)).principal()
    conv = store.new_conversation(principal, title="t")

    async def begin(s: Any) -> Turn:
        await writes.insert_conversation(s, conv)
        [msg] = await writes.insert_messages(
            s, conv, [store.NewMessage("user", "hi")], last_seq=0, now=utcnow()
        )
        turn = turn_store.new_turn(conv, msg, user_id=principal.user_id, channel="web", runner="r")
        await writes.insert_turn(s, turn)
        return turn

    turn = await db.run_write(begin)
    events = [{"type": "done", "message_id": "msg:x"}]

    async def finish(s: Any) -> None:
        await writes.finish_turn(s, turn.id, status="completed", events=events, reply_message_id="msg:x")

    await db.run_write(finish)
    async with db.session() as s:
        row = (await s.execute(select(Turn).where(Turn.id == turn.id))).scalar_one()
    assert (row.status, row.events, row.reply_message_id, row.runner) == ("completed", events, "msg:x", "r")
    assert row.finished_at is not None
