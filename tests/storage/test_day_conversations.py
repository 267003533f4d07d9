"""The per-day conversation counter (`day_conversations`, migration `0018_day_conversations`):

- on SQLite and PostgreSQL, upgrade backfills it from the existing messages, downgrade removes it
  and leaves message writes working (the triggers without the counter), upgrade again restores it;
- daily `messages_sent` stats over a year read it (one row per day, by its primary key) and never
  `conversation_buckets` or `messages` (the plan is pinned like tests/storage/test_plans.py's).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, text, update

from frontdesk.storage import analytics
from frontdesk.storage import conversations as convs
from frontdesk.storage.db import Database
from frontdesk.storage.migrate import downgrade, upgrade
from frontdesk.storage.models import Message
from frontdesk.types import Principal
from tests.conftest import new_identity
from tests.storage import test_checkpoint_migration
from tests.storage.test_plans import captured, plans

RECOUNT = {
    "sqlite": "SELECT strftime('%Y-%m-%d', created_at), count(DISTINCT conversation_id) FROM messages "
    "WHERE account_id = :a GROUP BY 1",
    "postgresql": "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
    "count(DISTINCT conversation_id) FROM messages WHERE account_id = :a GROUP BY 1",
}


url = test_checkpoint_migration.url  # the fixture: a new SQLite file, then a new PostgreSQL database


async def talk(db: Database, principal: Principal, days_ago: int) -> None:
    """A conversation with three messages, the first moved `days_ago` days back."""
    async with db.session() as s:
        conv = await convs.create_conversation(s, principal, channel="web")
        await convs.add_messages(
            s, conv, [convs.NewMessage("user", "hi"), convs.NewMessage("assistant", "hello", tokens_in=3)]
        )
        await convs.add_messages(s, conv, [convs.NewMessage("user", "bye")])
        when = datetime.now(UTC) - timedelta(days=days_ago)
        await s.execute(
            update(Message)
            .where(Message.conversation_id == conv.id, Message.seq == 1)
            .values(created_at=when)
        )
        await s.commit()


async def kept_and_recount(
    db: Database, account_id: str
) -> tuple[set[tuple[str, int]], set[tuple[str, int]]]:
    async with db.engine.connect() as conn:
        kept = (
            await conn.execute(
                text(
                    "SELECT day, conversations FROM day_conversations "
                    "WHERE account_id = :a AND conversations > 0"
                ),
                {"a": account_id},
            )
        ).all()
        again = (await conn.execute(text(RECOUNT[conn.dialect.name]), {"a": account_id})).all()
    return {tuple(r) for r in kept}, {tuple(r) for r in again}  # type: ignore[misc]


async def test_upgrade_backfills_downgrade_removes_upgrade_restores(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        principal = (await new_identity(db, "Days")).principal()
        for days_ago in (0, 0, 3):
            await talk(db, principal, days_ago)
        kept, again = await kept_and_recount(db, principal.account_id)
        assert kept == again and max(n for _, n in kept) == 3  # today: all three conversations

        await downgrade(db, "0018_day_conversations-1")
        async with db.engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert "day_conversations" not in names and "conversation_buckets" in names
        await talk(db, principal, 1)  # the 0014 triggers, without the counter, still write

        await upgrade(db)  # backfilled from messages, including the one written meanwhile
        kept, again = await kept_and_recount(db, principal.account_id)
        assert kept == again and len(kept) == 3
        await talk(db, principal, 2)  # and kept by the triggers again
        kept, again = await kept_and_recount(db, principal.account_id)
        assert kept == again and len(kept) == 4
    finally:
        await db.close()


async def test_daily_stats_over_a_year_read_the_day_counter(db: Database) -> None:
    principal = (await new_identity(db, "Plans")).principal()
    await talk(db, principal, 0)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    metric = analytics.METRICS["messages_sent"]
    with captured(db) as seen:
        async with db.session() as s:
            found = await analytics.series(
                s,
                metric,
                principal.account_id,
                today - timedelta(days=365),
                today + timedelta(days=1),
                "day",
                {},
            )
    assert found == {today.date().isoformat(): (3, 1)}
    statements = [sql for sql, _ in seen]
    assert any("day_conversations" in sql for sql in statements)
    raw = re.compile(r"\b(FROM|JOIN)\s+(messages|conversation_buckets)\b", re.IGNORECASE)
    assert not any(raw.search(sql) for sql in statements)
    for _, plan in await plans(db, [x for x in seen if "day_conversations" in x[0]]):
        if db.is_sqlite:
            assert "USING PRIMARY KEY" in plan or "sqlite_autoindex_day_conversations" in plan, plan
        else:
            assert "day_conversations_pkey" in plan, plan
