"""The per-day conversation counter (`day_conversations`, migration `0018_day_conversations`), which
`0022_day_totals` replaces by `bucket_totals`: on SQLite and PostgreSQL, going down from the
heads to 0018 re-creates and backfills it and its triggers keep it; downgrading 0018 removes it and
leaves message writes working (the triggers without the counter); upgrading to the heads again
leaves `bucket_totals` equal to a recount. What the daily stats read now:
tests/storage/test_day_totals.py.
"""

from __future__ import annotations

from sqlalchemy import inspect, text

from frontdesk.storage.db import Database
from frontdesk.storage.migrate import downgrade, upgrade
from tests.conftest import new_identity
from tests.storage import test_checkpoint_migration, test_day_totals

RECOUNT = {
    "sqlite": "SELECT strftime('%Y-%m-%d', created_at), count(DISTINCT conversation_id) FROM messages "
    "WHERE account_id = :a GROUP BY 1",
    "postgresql": "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
    "count(DISTINCT conversation_id) FROM messages WHERE account_id = :a GROUP BY 1",
}


url = test_checkpoint_migration.url  # the fixture: a new SQLite file, then a new PostgreSQL database


talk = test_day_totals.talk  # a conversation of three messages, the first `days_ago` days back


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
        await downgrade(db, "0022_day_totals-1")  # 0018's counter, backfilled
        kept, again = await kept_and_recount(db, principal.account_id)
        assert kept == again and max(n for _, n in kept) == 3  # today: all three conversations
        await talk(db, principal, 5)  # kept by 0018's triggers
        kept, again = await kept_and_recount(db, principal.account_id)
        assert kept == again and len(kept) == 3

        await downgrade(db, "0018_day_conversations-1")
        async with db.engine.connect() as conn:
            names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        assert "day_conversations" not in names and "conversation_buckets" in names
        await talk(db, principal, 1)  # the 0014 triggers, without the counter, still write
        await upgrade(db, "0018_day_conversations")  # 0018 alone: its triggers write only its tables
        await talk(db, principal, 4)
        kept, again = await kept_and_recount(db, principal.account_id)
        assert kept == again and len(kept) == 5  # backfilled, then kept by 0018's own triggers
        await downgrade(db, "0018_day_conversations-1")

        await upgrade(db)  # the heads: `bucket_totals` in its place, counting the one written meanwhile
        await talk(db, principal, 2)
        totals, recount = await test_day_totals.kept_and_recount(db, principal.account_id)
        assert totals == recount and len({row[1] for row in totals["totals"] if row[0] == "d"}) == 6
    finally:
        await db.close()
