"""The rollup tables (with the month grain of `message_rollups` and `bucket_totals`, the per-day
and per-hour totals and distinct conversations) stay equal to a recount from the raw rows after
many concurrent writers (messages, department changes, deletes, messages moved to another day or
month, contacts and leads created, moved and deleted), on SQLite and on PostgreSQL; and analytics
answered from them equal the raw GROUP BY, over spans that tile into months, days and hours too.
Bulk loads: tests/storage/test_bulk_demo.py; the dashboard's one statement against the raw rows:
tests/storage/test_dashboard.py."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from frontdesk.storage import analytics, rollups
from frontdesk.storage import conversations as convs
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Contact, Conversation, Lead, Message
from frontdesk.types import Principal
from tests.conftest import new_identity

SNAPSHOT = {
    "message_rollups": "SELECT grain, bucket, channel, role, department, messages, tokens, replies "
    "FROM message_rollups WHERE account_id = :a AND (messages <> 0 OR tokens <> 0 OR replies <> 0)",
    "conversation_buckets": "SELECT grain, bucket, conversation_id, channel, role, department, messages "
    "FROM conversation_buckets WHERE account_id = :a AND messages <> 0",
    "record_rollups": "SELECT kind, day, k1, k2, n, round(CAST(value AS numeric), 2) FROM record_rollups "
    "WHERE account_id = :a AND (n <> 0 OR value <> 0)",
    # the same counts by month (0024_dashboard)
    "record_months": "SELECT kind, month, k1, k2, n, round(CAST(value AS numeric), 2) FROM record_months "
    "WHERE account_id = :a AND (n <> 0 OR value <> 0)",
    "message_count": "SELECT id, message_count FROM conversations WHERE account_id = :a",
    # the distinct conversations per day (0018's `day_conversations`, in `bucket_totals` since 0022)
    "day_conversations": "SELECT bucket, conversations FROM bucket_totals "
    "WHERE account_id = :a AND grain = 'd' AND conversations <> 0",
    "bucket_totals": "SELECT grain, bucket, messages, tokens, replies, conversations FROM bucket_totals "
    "WHERE account_id = :a AND (messages <> 0 OR tokens <> 0 OR replies <> 0 OR conversations <> 0)",
}


async def snapshot(conn: AsyncConnection, account_id: str) -> dict[str, set[tuple[Any, ...]]]:
    out = {}
    for name, sql in SNAPSHOT.items():
        rows = (await conn.execute(text(sql), {"a": account_id})).all()
        money = name in ("record_rollups", "record_months")
        out[name] = {tuple(float(v) if money and i == 5 else v for i, v in enumerate(r)) for r in rows}
    return out


async def recount(db: Database, account_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(rollups as kept, rollups recomputed from the raw rows) for the account; the recount is
    rolled back."""
    async with db.engine.connect() as conn:
        kept = await snapshot(conn, account_id)
        await conn.rollback()
        async with conn.begin() as tx:
            await rollups.rebuild(conn)
            again = await snapshot(conn, account_id)
            await tx.rollback()
    return kept, again


async def writer(db: Database, principal: Principal, n: int) -> None:
    """One busy door: conversations, turns, department changes, deletes, CRM rows."""
    rng = random.Random(n)
    for i in range(6):
        async with db.session() as s:
            conv = await convs.create_conversation(s, principal, channel=rng.choice(["web", "sms"]))

        async def turn(s: AsyncSession, conv_id: str = conv.id, i: int = i) -> None:
            current = await s.get(Conversation, conv_id, populate_existing=True)
            assert current is not None
            current.department = rng.choice(["sales", "support", None])
            await convs.add_messages(
                s,
                current,
                [
                    convs.NewMessage("user", f"question {i}"),
                    convs.NewMessage(
                        "assistant", "answer", agent_used=rng.choice(["sales", None]), tokens_in=i
                    ),
                    convs.NewMessage("tool", "result"),
                ],
                commit=False,
            )

        await db.run_write(turn, retry_conflicts=True)
        await db.run_write(turn, retry_conflicts=True)
        if i % 3 == 0:
            await db.run_write(
                lambda s, c=conv.id: s.execute(delete(Conversation).where(Conversation.id == c))
            )
        elif i % 3 == 1:
            first = select(Message.id).where(Message.conversation_id == conv.id, Message.seq == 1)
            await db.run_write(lambda s, f=first: s.execute(delete(Message).where(Message.id.in_(f))))
            when = utcnow() - timedelta(days=2)
            await db.run_write(
                lambda s, c=conv.id, w=when: s.execute(
                    update(Message).where(Message.conversation_id == c, Message.seq == 2).values(created_at=w)
                )
            )
        else:  # one message into an earlier month (a month row of its own, hours apart per writer)
            when = utcnow() - timedelta(days=45, hours=n)
            await db.run_write(
                lambda s, c=conv.id, w=when: s.execute(
                    update(Message).where(Message.conversation_id == c, Message.seq == 3).values(created_at=w)
                )
            )

        async def crm(s: AsyncSession, i: int = i) -> None:
            cid = new_id("contact")
            s.add(Contact(id=cid, account_id=principal.account_id, first_name=f"P{n}", last_name=str(i)))
            s.add(
                Lead(
                    id=new_id("lead"),
                    account_id=principal.account_id,
                    contact_id=cid,
                    name="L",
                    value=100.0 + i,
                )
            )
            await s.flush()
            if i % 2:
                await s.execute(
                    update(Lead)
                    .where(Lead.contact_id == cid)
                    .values(status="converted", source="ads", value=7.5)
                )
            if i % 3 == 2:  # into an earlier month: its day and month rows move
                when = utcnow() - timedelta(days=40, hours=n)
                await s.execute(update(Lead).where(Lead.contact_id == cid).values(created_at=when))
            if i % 4 == 3:
                await s.execute(delete(Contact).where(Contact.id == cid))

        await db.run_write(crm)
        await asyncio.sleep(0)


async def test_rollups_equal_a_recount_after_concurrent_writes(db: Database) -> None:
    identity = await new_identity(db, "Rollups")
    principal = identity.principal()
    await asyncio.gather(*(writer(db, principal, n) for n in range(6)))
    kept, again = await recount(db, principal.account_id)
    assert kept["message_rollups"], "the writers wrote messages"
    assert {n for _, n in kept["day_conversations"]} - {0, 1}, "several conversations on one day"
    assert {row[0] for row in kept["message_rollups"]} == {"m", "d", "h"}
    assert {row[-1] for row in kept["bucket_totals"] if row[0] == "h"} - {0, 1}, "and in one hour"
    assert {row[0] for row in kept["record_months"]} == {"conversation", "contact", "lead"}
    assert len({row[1] for row in kept["record_months"] if row[0] == "lead"}) == 2, "leads in two months"
    for name in SNAPSHOT:
        assert kept[name] == again[name], name


async def test_analytics_from_rollups_equal_the_raw_group_by(db: Database) -> None:
    identity = await new_identity(db, "Numbers")
    principal = identity.principal()
    await asyncio.gather(*(writer(db, principal, n) for n in range(3)))
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    spans = [
        (today - timedelta(days=6), today + timedelta(days=1), "day"),
        (hour - timedelta(hours=71), hour + timedelta(hours=1), "hour"),
        (today - timedelta(days=365), today + timedelta(days=1), "day"),  # months in the breakdown
        (hour - timedelta(hours=167), hour + timedelta(hours=1), "hour"),  # hours, days, hours
    ]
    async with db.session() as s:
        for metric in analytics.METRICS.values():
            for start, end, grain in spans:
                for filters in (
                    {},
                    *(
                        {k: v}
                        for k, v in (
                            ("role", "user"),
                            ("channel", "sms"),
                            ("department", "sales"),
                            ("source", "ads"),
                        )
                        if k in metric.dimensions
                    ),
                ):
                    fast = await analytics.series(s, metric, principal.account_id, start, end, grain, filters)  # type: ignore[arg-type]
                    raw = await analytics.raw_series(
                        s, metric, principal.account_id, start, end, grain, filters
                    )  # type: ignore[arg-type]
                    assert fast == raw, (metric.id, grain, filters)
                    by = await analytics.breakdown(s, metric, principal.account_id, start, end, filters)
                    assert by == await analytics.raw_breakdown(
                        s, metric, principal.account_id, start, end, filters
                    )
                    both = await analytics.series_and_breakdown(
                        s,
                        metric,
                        principal.account_id,
                        start,
                        end,
                        grain,
                        filters,  # type: ignore[arg-type]
                    )
                    assert both == (fast, by), (metric.id, grain, filters)  # one statement, same answers
        month = today.replace(day=1)
        assert await analytics.activity_counts(s, principal.account_id, month) == (
            await analytics.raw_activity_counts(s, principal.account_id, month)
        )
        assert await analytics.lead_sources(s, principal.account_id) == await analytics.raw_lead_sources(
            s, principal.account_id
        )
