"""The per-bucket totals (`bucket_totals`) and the month grain of `message_rollups`, migration
`0022_day_totals`:

- on SQLite and PostgreSQL, upgrade backfills both from the existing rows (equal to a recount),
  downgrade restores 0018's `day_conversations` (backfilled, kept by its triggers) and removes the
  month rows and the totals, upgrade again brings them back;
- `cover` tiles a span of whole hours into hours, days and months exactly;
- unfiltered daily and hourly series read `bucket_totals` by its primary key, one row per bucket,
  and a year's breakdown reads month rows, never `messages` or `conversation_buckets` (the plans
  are pinned like tests/storage/test_plans.py's).
Concurrent writers against a recount: tests/storage/test_rollups.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import inspect, text, update

from frontdesk.storage import analytics, message_stats, rollups
from frontdesk.storage import conversations as convs
from frontdesk.storage.db import Database
from frontdesk.storage.migrate import downgrade, upgrade
from frontdesk.storage.models import Message
from frontdesk.types import Principal
from tests.conftest import new_identity
from tests.storage import test_checkpoint_migration
from tests.storage.test_plans import captured, plans

url = test_checkpoint_migration.url  # the fixture: a new SQLite file, then a new PostgreSQL database

_BUCKET = {
    "sqlite": "strftime(CASE g WHEN 'd' THEN '%Y-%m-%d' ELSE '%Y-%m-%dT%H' END, created_at)",
    "postgresql": "to_char(created_at AT TIME ZONE 'UTC', "
    "CASE g WHEN 'd' THEN 'YYYY-MM-DD' ELSE 'YYYY-MM-DD\"T\"HH24' END)",
}
_MONTH = {
    "sqlite": "strftime('%Y-%m', created_at)",
    "postgresql": "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')",
}


def recount_sql(dialect: str) -> dict[str, str]:
    """Recounts from `messages` of the account's totals per day and hour, and of its messages per
    month (by channel and role), written independently of the migration's statements."""
    grains = "(SELECT 'd' AS g UNION ALL SELECT 'h') grains"
    return {
        "totals": f"SELECT g, {_BUCKET[dialect]}, count(*), sum(tokens_in + tokens_out), "
        "sum(CASE WHEN tokens_in + tokens_out > 0 THEN 1 ELSE 0 END), count(DISTINCT conversation_id) "
        f"FROM messages, {grains} WHERE account_id = :a GROUP BY 1, 2",
        "months": f"SELECT {_MONTH[dialect]}, channel, role, count(*) FROM messages WHERE account_id = :a "
        "GROUP BY 1, 2, 3",
    }


KEPT = {
    "totals": "SELECT grain, bucket, messages, tokens, replies, conversations FROM bucket_totals "
    "WHERE account_id = :a AND messages > 0",
    "months": "SELECT bucket, channel, role, sum(messages) FROM message_rollups "
    "WHERE account_id = :a AND grain = 'm' GROUP BY bucket, channel, role HAVING sum(messages) > 0",
}


async def kept_and_recount(db: Database, account_id: str) -> tuple[dict[str, set[Any]], dict[str, set[Any]]]:
    async with db.engine.connect() as conn:
        kept = {
            k: {tuple(r) for r in (await conn.execute(text(q), {"a": account_id})).all()}
            for k, q in KEPT.items()
        }
        again = {
            k: {tuple(r) for r in (await conn.execute(text(q), {"a": account_id})).all()}
            for k, q in recount_sql(conn.dialect.name).items()
        }
    return kept, again


async def talk(db: Database, principal: Principal, days_ago: int) -> None:
    """A conversation with three messages, the first moved `days_ago` days back."""
    async with db.session() as s:
        conv = await convs.create_conversation(s, principal, channel="web")
        await convs.add_messages(
            s, conv, [convs.NewMessage("user", "hi"), convs.NewMessage("assistant", "hello", tokens_in=3)]
        )
        await convs.add_messages(s, conv, [convs.NewMessage("user", "bye")])
        await s.execute(
            update(Message)
            .where(Message.conversation_id == conv.id, Message.seq == 1)
            .values(created_at=datetime.now(UTC) - timedelta(days=days_ago))
        )
        await s.commit()


async def tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_backfills_downgrade_restores_the_day_counter(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        principal = (await new_identity(db, "Totals")).principal()
        await talk(db, principal, 0)
        await downgrade(db, "0022_day_totals-1")
        names = await tables(db)
        assert "bucket_totals" not in names and "day_conversations" in names
        for days_ago in (0, 40, 3):  # written by 0018's triggers, no month rows
            await talk(db, principal, days_ago)
        async with db.engine.connect() as conn:
            days = (await conn.execute(
                text("SELECT day, conversations FROM day_conversations "
                     "WHERE account_id = :a AND conversations > 0"),
                {"a": principal.account_id},
            )).all()  # fmt: skip
            months = await conn.scalar(text("SELECT count(*) FROM message_rollups WHERE grain = 'm'"))
        assert max(n for _, n in days) == 4 and len(days) == 3 and months == 0  # today: all four

        await upgrade(db)  # backfilled from what was written meanwhile
        assert "day_conversations" not in await tables(db)
        kept, again = await kept_and_recount(db, principal.account_id)
        assert kept == again and len(kept["months"]) >= 2
        assert {row[-1] for row in kept["totals"] if row[0] == "d"} >= {4}
        await talk(db, principal, 70)  # and kept by the triggers again
        kept, again = await kept_and_recount(db, principal.account_id)
        months = {(datetime.now(UTC) - timedelta(days=d)).strftime("%Y-%m") for d in (0, 40, 3, 70)}
        assert kept == again and {row[0] for row in kept["months"]} == months
    finally:
        await db.close()


def test_cover_sums_to_exactly_the_span() -> None:
    at = datetime(2026, 12, 2, 5, tzinfo=UTC)
    assert message_stats.cover(at - timedelta(hours=3), at) == [("h", at - timedelta(hours=3), at, 1)]
    year = message_stats.cover(datetime(2025, 12, 2, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC))
    assert [(g, a.isoformat()[:10], b.isoformat()[:10], sign) for g, a, b, sign in year] == [
        ("m", "2025-12-01", "2026-01-01", 1),  # December 2025's row less its first day
        ("d", "2025-12-01", "2025-12-02", -1),
        ("m", "2026-01-01", "2026-12-01", 1),
        ("d", "2026-12-01", "2026-12-03", 1),
    ]
    week = message_stats.cover(at - timedelta(hours=167), at + timedelta(hours=1))
    assert [g for g, *_ in week] == ["h", "d", "h"]
    for start in (datetime(2026, 1, 31, 23, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC),
                  datetime(2026, 2, 3, 7, tzinfo=UTC), datetime(2025, 12, 28, tzinfo=UTC)):  # fmt: skip
        for hours in (1, 24, 25, 24 * 12, 24 * 31, 24 * 45 + 3, 24 * 400 + 7):
            end = start + timedelta(hours=hours)
            pieces = message_stats.cover(start, end)
            for grain, a, b, _ in pieces:  # on their grain's boundaries, disjoint within a grain
                assert rollups.aligned(a, "h" if grain == "h" else "d") and a < b
                assert grain != "m" or (a.day == 1 and b.day == 1)
                assert not any(g == grain and (x, y) != (a, b) and x < b and a < y for g, x, y, _ in pieces)
            hour = start - timedelta(days=40)  # every hour around the span counted once, or not at all
            while hour < end + timedelta(days=40):
                weight = sum(sign for _, a, b, sign in pieces if a <= hour < b)
                assert weight == (1 if start <= hour < end else 0), (start, hours, hour, pieces)
                hour += timedelta(hours=1)


async def test_a_breakdown_less_the_days_outside_equals_the_raw_one(db: Database) -> None:
    """A span starting early in a month reads that month's row less its first days: messages on
    those days (outside the span) must not count, those after them must."""
    principal = (await new_identity(db, "Edges")).principal()
    month = (
        datetime.now(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=80)
    ).replace(day=1)
    for when in (month + timedelta(days=1, hours=5), month + timedelta(days=10), month + timedelta(hours=2)):
        async with db.session() as s:
            conv = await convs.create_conversation(s, principal, channel="sms")
            await convs.add_messages(
                s, conv, [convs.NewMessage("user", "a"), convs.NewMessage("assistant", "b", tokens_in=4)]
            )
            await s.execute(update(Message).where(Message.conversation_id == conv.id).values(created_at=when))
            await s.commit()
    start, end = month + timedelta(days=2), datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    assert ("d", month, start, -1) in message_stats.cover(start, end)
    async with db.session() as s:
        for metric in ("messages_sent", "tokens_used"):
            m = analytics.METRICS[metric]
            for filters in ({}, {"role": "user"}):
                by = await analytics.breakdown(s, m, principal.account_id, start, end, filters)
                assert by == await analytics.raw_breakdown(s, m, principal.account_id, start, end, filters)
        by = await analytics.breakdown(
            s, analytics.METRICS["messages_sent"], principal.account_id, start, end, {}
        )
    assert by["role"] == {"assistant": 1, "user": 1}  # the conversation of day 10 only


async def test_series_read_the_totals_and_a_year_breakdown_reads_months(db: Database) -> None:
    principal = (await new_identity(db, "Plans")).principal()
    await talk(db, principal, 0)
    await talk(db, principal, 60)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    metric = analytics.METRICS["messages_sent"]
    year = (today - timedelta(days=365), today + timedelta(days=1))
    with captured(db) as seen:
        async with db.session() as s:
            daily = await analytics.series(s, metric, principal.account_id, *year, "day", {})
            hourly = await analytics.series(
                s,
                metric,
                principal.account_id,
                hour - timedelta(hours=167),
                hour + timedelta(hours=1),
                "hour",
                {},
            )
            by = await analytics.breakdown(s, metric, principal.account_id, *year, {})
    assert daily[today.date().isoformat()] == (5, 2) and sum(n for n, _ in daily.values()) == 6
    assert sum(n for n, _ in hourly.values()) == 5 and by["role"] == {"assistant": 2, "user": 4}
    statements = [(sql, p) for sql, p in seen]
    raw = re.compile(r"\b(FROM|JOIN)\s+(messages|conversation_buckets)\b", re.IGNORECASE)
    assert not any(raw.search(sql) for sql, _ in statements)
    assert sum("bucket_totals" in sql for sql, _ in statements) == 2
    breakdown = [x for x in statements if "message_rollups" in x[0]]
    bound = breakdown[0][1]
    assert len(breakdown) == 1 and "m" in (list(bound.values()) if isinstance(bound, dict) else list(bound))
    for sql, plan in await plans(db, statements):
        if db.is_sqlite:
            assert "SCAN" not in plan, (sql, plan)
            if "bucket_totals" in sql:
                assert "USING PRIMARY KEY" in plan or "sqlite_autoindex_bucket_totals" in plan, plan
        else:
            assert "Seq Scan" not in plan, (sql, plan)
            if "bucket_totals" in sql:
                assert "bucket_totals_pkey" in plan, plan
