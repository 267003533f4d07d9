"""Bulk loads (`frontdesk demo --messages N --crm-contacts M`) on SQLite and PostgreSQL: the rollups
they add equal a recount of the tables (also for a load on top of an earlier one), the loaded
words are found by search, the triggers and full-text indexes are back afterwards (new writes are
counted and searchable), and the SQLite connection's bulk settings are restored."""

from __future__ import annotations

from sqlalchemy import select, text

from frontdesk.agent.history import to_chat_messages
from frontdesk.storage import bulk_crm, bulk_demo
from frontdesk.storage import conversations as convs
from frontdesk.storage.db import Database
from frontdesk.storage.models import Conversation, Message
from frontdesk.storage.search import SearchScope, search_messages
from frontdesk.storage.search_query import parse_query
from tests.conftest import new_identity
from tests.storage.test_rollups import SNAPSHOT, recount

GIN = (
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
    "AND tablename IN ('messages', 'contacts', 'leads') AND indexdef LIKE '%USING gin%'"
)


async def search_total(db: Database, account_id: str, word: str) -> int:
    async with db.session() as s:
        _, total = await search_messages(s, parse_query(word), SearchScope(account_id), limit=5, offset=0)
    return total


async def test_loads_count_like_the_triggers_and_stay_searchable(db: Database) -> None:
    principal = (await new_identity(db, "Bulk")).principal()
    owner = (principal.account_id, principal.user_id)  # not the demo account other tests count
    gin_before = set()
    if not db.is_sqlite:
        async with db.engine.connect() as conn:
            gin_before = set((await conn.execute(text(GIN))).all())
        assert gin_before, "the full-text and trigram indexes of the migrations"
    seen: list[tuple[str, int, int]] = []
    report = await bulk_demo.load_messages(db, 600, 12, progress=lambda *a: seen.append(a), owner=owner)
    assert ("messages", 600, 600) in seen and seen[-1] == ("indexing", 1, 1)
    await bulk_demo.load_messages(db, 250, 5, seed=8, owner=owner)  # on top of the first load
    await bulk_crm.load_contacts(db, 40, owner=owner)
    kept, again = await recount(db, report.account_id)
    assert kept["day_conversations"] and kept["message_count"]
    for name in SNAPSHOT:
        assert kept[name] == again[name], name

    async with db.session() as s:  # a rare word of the load: search finds exactly its messages
        contents = list(await s.scalars(select(Message.content).where(Message.account_id == owner[0])))
    assert len(contents) == 850
    word = next(c.split()[-1] for c in contents if c.split()[-1] not in bulk_demo.COMMON)
    assert await search_total(db, owner[0], word) == sum(word in c.split() for c in contents) > 0

    async with db.session() as s:  # assistants' tool calls read back as the model's messages
        rows = list(
            await s.scalars(select(Message).where(Message.account_id == owner[0]).order_by(Message.seq))
        )
    replayed = to_chat_messages(rows)
    called = [m for m in replayed if m.tool_calls]
    assert called and all(m.tool_calls[0].name == "search_contacts" for m in called)
    assert sum(1 for m in replayed if m.role == "tool") == len(called)

    async with db.session() as s:  # the triggers are back: a new message is counted and found
        conv = await s.scalar(select(Conversation).where(Conversation.account_id == owner[0]).limit(1))
        assert conv is not None
        await convs.add_messages(s, conv, [convs.NewMessage("user", "zyzzyva")])
    assert await search_total(db, owner[0], "zyzzyva") == 1
    kept, again = await recount(db, report.account_id)
    assert kept == again

    async with db.engine.connect() as conn:
        if db.is_sqlite:
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar() == 1  # NORMAL again
            for index in ("messages_fts", "contacts_fts"):
                await conn.execute(text(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)"))
            counts = (
                await conn.execute(
                    text("SELECT (SELECT count(*) FROM contacts_fts), (SELECT count(*) FROM contacts)")
                )
            ).one()
            assert counts[0] == counts[1]
        else:  # the GIN indexes dropped for the load are back, as they were
            assert set((await conn.execute(text(GIN))).all()) == gin_before
