"""The daily and hourly routes' one read (`analytics.series_and_breakdown`): an unfiltered message
metric's series (`bucket_totals`) and breakdown (`message_rollups` over the span's cover) in one
statement, whose plan is pinned here on SQLite and PostgreSQL (index searches by primary key,
never `messages` or `conversation_buckets`); a filtered one still takes the two reads. Its answers
equal `series` + `breakdown` and the raw GROUP BY: tests/storage/test_rollups.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontdesk.storage import analytics
from frontdesk.storage.db import Database
from tests.conftest import new_identity
from tests.storage.test_day_totals import talk
from tests.storage.test_plans import captured, plans


async def test_an_unfiltered_series_and_breakdown_are_one_statement(db: Database) -> None:
    principal = (await new_identity(db, "OneRead")).principal()
    await talk(db, principal, 0)
    await talk(db, principal, 40)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    today = hour.replace(hour=0)
    spans = [
        (hour - timedelta(hours=167), hour + timedelta(hours=1), "hour"),
        (today - timedelta(days=365), today + timedelta(days=1), "day"),
    ]
    for metric in ("messages_sent", "tokens_used"):
        m = analytics.METRICS[metric]
        for start, end, grain in spans:
            with captured(db) as seen:
                async with db.session() as s:
                    found, by = await analytics.series_and_breakdown(
                        s,
                        m,
                        principal.account_id,
                        start,
                        end,
                        grain,
                        {},  # type: ignore[arg-type]
                    )
            assert found and by["role"], (metric, grain)
            [(sql, plan)] = await plans(db, seen)
            assert "FROM bucket_totals" in sql and "FROM message_rollups" in sql
            assert " messages " not in sql and "conversation_buckets" not in sql, sql
            if db.is_sqlite:
                assert "SCAN" not in plan, plan
                assert "SEARCH bucket_totals USING INDEX sqlite_autoindex_bucket_totals_1" in plan, plan
                assert "SEARCH message_rollups USING INDEX sqlite_autoindex_message_rollups_1" in plan, plan
            else:
                assert "Seq Scan" not in plan, plan
                assert "bucket_totals_pkey" in plan and "message_rollups_pkey" in plan, plan
    with captured(db) as seen:
        async with db.session() as s:
            await analytics.series_and_breakdown(
                s, analytics.METRICS["messages_sent"], principal.account_id, *spans[0][:2], "hour",
                {"role": "user"},
            )  # fmt: skip
    assert len(seen) == 3  # filtered: the rollup series, its distinct conversations, the breakdown
