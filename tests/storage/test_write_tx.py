"""`Database.run_write_tx` (`storage.write_tx`): a turn's write transaction as one call on SQLite's
connection thread, or on a session elsewhere — stored values as the session path stores them, a
failure rolls the whole transaction back, SQLite's errors arrive as SQLAlchemy's, the one-hop
statements are counted."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from frontdesk.errors import NotFound
from frontdesk.storage import conversations as store
from frontdesk.storage import turn_writes as writes
from frontdesk.storage import write_tx
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.write_tx import Tx
from tests.conftest import new_identity

ROW = (
    "SELECT c.title, c.department, m.seq, m.role, m.content, m.tool_calls, m.tool_results,"
    " m.tokens_in, m.created_at = c.updated_at FROM conversations c"
    " JOIN messages m ON m.conversation_id = c.id WHERE c.id = :id"
)


async def _write_one(db: Database, conv_id: str, owner: tuple[str, str]) -> writes.Stored:
    def write(tx: Tx) -> writes.Stored:
        now = utcnow()
        found = writes.update_for_write_tx(
            tx, conv_id, {"updated_at": now, "department": "sales"}, owner=owner
        )
        if found is None:
            raise NotFound("Conversation not found")
        item = store.NewMessage("assistant", "Héllo", tool_calls=[{"name": "x", "n": 1}], tokens_in=3)
        writes.insert_messages_tx(tx, found.conversation, [item], last_seq=found.last_seq, now=now)
        return found

    return await db.run_write_tx(write)


async def _row(db: Database, conv_id: str) -> tuple[Any, ...]:
    async with db.session() as s:
        return tuple((await s.execute(text(ROW), {"id": conv_id})).one())


async def test_one_hop_stores_what_the_session_path_stores(db: Database) -> None:
    principal = (await new_identity(db)).principal()
    owner = (principal.account_id, principal.user_id)
    rows = []
    for one_hop in (True, False):
        conv = await db.run_write(lambda s: store.create_conversation(s, principal, title="t"))
        db.one_hop = one_hop if db.is_sqlite else False
        try:
            found = await _write_one(db, conv.id, owner)
        finally:
            db.one_hop = db.url.startswith("sqlite+aiosqlite")
        assert found.last_seq == 0 and found.waiting is None
        assert found.conversation.department == "sales" and found.conversation.title == "t"
        assert found.conversation.created_at.year == utcnow().year  # read back as a datetime
        rows.append(await _row(db, conv.id))
    assert rows[0] == rows[1]
    assert rows[0][:5] == ("t", "sales", 1, "assistant", "Héllo") and rows[0][8]


async def test_a_failure_rolls_back_the_whole_transaction(db: Database) -> None:
    principal = (await new_identity(db)).principal()
    conv = await db.run_write(lambda s: store.create_conversation(s, principal, title="t"))

    def write(tx: Tx) -> None:
        writes.touch_conversation_tx(tx, conv.id, {"title": "changed"})
        raise NotFound("stop here")

    with pytest.raises(NotFound):
        await db.run_write_tx(write)
    stranger = await new_identity(db, "Stranger")
    with pytest.raises(NotFound):  # not theirs: nothing written either
        await _write_one(db, conv.id, (stranger.account.id, stranger.user.id))
    async with db.session() as s:
        title, department = (
            await s.execute(
                text("SELECT title, department FROM conversations WHERE id = :id"), {"id": conv.id}
            )
        ).one()
    assert (title, department) == ("t", None)
    assert await _write_one(db, conv.id, (principal.account_id, principal.user_id))  # not left locked


async def test_sqlite_errors_arrive_as_sqlalchemy_errors_and_are_counted(db: Database) -> None:
    principal = (await new_identity(db)).principal()
    conv = store.new_conversation(principal)
    await db.run_write_tx(lambda tx: writes.insert_conversation_tx(tx, conv))
    before = dict(write_tx.COUNTS)
    with pytest.raises(IntegrityError):  # the same id again
        await db.run_write_tx(lambda tx: writes.insert_conversation_tx(tx, conv))
    await db.run_write_tx(lambda tx: writes.touch_conversation_tx(tx, conv.id, {"title": "x"}))
    if db.one_hop:  # BEGIN IMMEDIATE and the statement, twice; one commit (the failed one rolled back)
        assert write_tx.COUNTS["statements"] - before["statements"] == 3
        assert write_tx.COUNTS["commits"] - before["commits"] == 1
    else:
        assert write_tx.COUNTS == before
