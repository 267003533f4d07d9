"""The dashboard's one statement (`frontdesk.storage.dashboard`) and `record_months`
(migration `0024_dashboard`), on SQLite and on PostgreSQL:

- its figures equal the raw rows' (a recount of leads by status and source, the leads and revenue
  of windows with partial days at both edges, the activity totals), after leads are created,
  converted, moved to other days and months and deleted;
- a window splits into whole days and its partial edges exactly;
- the plan is pinned: one statement, every part an index search (record_months, bucket_totals,
  record_rollups by primary key, leads by `(account_id, created_at)`), never `messages`,
  `contacts` or `conversations`;
- upgrade backfills `record_months` from the day rows, downgrade drops it and restores 0022's
  triggers (which then write no month rows), upgrade again brings it back.
Concurrent writers against a recount (record_months included): tests/storage/test_rollups.py.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, text, update

from frontdesk.storage import analytics
from frontdesk.storage.dashboard import dashboard_totals, window_pieces
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.migrate import downgrade, upgrade
from frontdesk.storage.models import Contact, Lead
from frontdesk.types import Principal
from tests.conftest import new_identity
from tests.storage import test_checkpoint_migration
from tests.storage.test_day_totals import tables, talk
from tests.storage.test_plans import captured, plans

url = test_checkpoint_migration.url  # the fixture: a new SQLite file, then a new PostgreSQL database


async def add_leads(db: Database, principal: Principal, when: list[datetime]) -> list[str]:
    """One contact and one lead per time in `when` (values 100, 101, ...); the lead ids."""
    ids = []
    async with db.session() as s:
        for i, at in enumerate(when):
            cid = new_id("contact")
            s.add(Contact(id=cid, account_id=principal.account_id, first_name="D", last_name=str(i)))
            ids.append(new_id("lead"))
            s.add(
                Lead(
                    id=ids[-1],
                    account_id=principal.account_id,
                    contact_id=cid,
                    name=f"L{i}",
                    value=100.0 + i,
                    source=("ads", "website", "referral")[i % 3],
                    created_at=at,
                )
            )
        await s.commit()
    return ids


async def raw_figures(db: Database, account_id: str, this: analytics.Window, last: analytics.Window) -> Any:
    """The dashboard's figures from the raw rows, independently of the rollups."""
    async with db.session() as s:
        rows = await s.execute(
            select(Lead.status, func.count(Lead.id), func.sum(Lead.value))
            .where(Lead.account_id == account_id)
            .group_by(Lead.status)
        )
        statuses = {k: (int(n), round(float(v), 2)) for k, n, v in rows.all()}
        sources = await analytics.raw_lead_sources(s, account_id)
        windows = []
        for w in (this, last):
            won = case((Lead.status == "converted", Lead.value), else_=0.0)
            n, v = (
                await s.execute(
                    select(func.count(Lead.id), func.coalesce(func.sum(won), 0.0)).where(
                        Lead.account_id == account_id, Lead.created_at >= w.start, Lead.created_at < w.end
                    )
                )
            ).one()
            windows.append((int(n), round(float(v), 2)))
        activity = await analytics.raw_activity_counts(s, account_id, this.start)
    return statuses, sources, windows, activity


async def fast_figures(db: Database, account_id: str, this: analytics.Window, last: analytics.Window) -> Any:
    async with db.session() as s:
        got = await dashboard_totals(s, account_id, this, last)
    statuses = {k: (n, round(v, 2)) for k, (n, v) in got.statuses.items()}
    return statuses, got.sources, [(n, round(v, 2)) for n, v in got.windows], got.activity


def windows(now: datetime) -> tuple[analytics.Window, analytics.Window]:
    """This month to `now`, and the same span at the start of the previous month (as the tool)."""
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    prev = (month - timedelta(days=1)).replace(day=1)
    return analytics.Window(month, now), analytics.Window(prev, min(prev + (now - month), month))


async def test_the_dashboard_equals_the_raw_rows(db: Database) -> None:
    principal = (await new_identity(db, "Dashboard")).principal()
    now = utcnow()
    # a fixed "now" late in the previous month's span keeps partial days at both window edges
    at = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) + timedelta(days=3, hours=15)
    this, last = windows(at)
    when = [
        this.start + timedelta(hours=1),  # first whole day
        this.start + timedelta(days=3, hours=2),  # the partial last day, inside
        this.start + timedelta(days=3, hours=16),  # the partial last day, after `now`: outside
        last.start + timedelta(days=1, hours=5),
        last.start + timedelta(days=3, hours=14, minutes=59),  # partial day, inside
        last.start + timedelta(days=3, hours=15, minutes=1),  # partial day, outside
        last.start - timedelta(days=20),  # two months back
        this.start + timedelta(days=40),  # a later month (counts since the month start)
    ]
    ids = await add_leads(db, principal, when)
    await talk(db, principal, 0)
    await talk(db, principal, 50)
    async with db.session() as s:
        await s.execute(update(Lead).where(Lead.id.in_(ids[0:8:2])).values(status="converted"))
        await s.execute(update(Lead).where(Lead.id == ids[3]).values(status="qualified", value=7.5))
        await s.execute(
            update(Lead).where(Lead.id == ids[6]).values(created_at=last.start + timedelta(hours=3))
        )
        await s.execute(delete(Lead).where(Lead.id == ids[7]))
        await s.commit()
    fast, raw = (
        await fast_figures(db, principal.account_id, this, last),
        await raw_figures(db, principal.account_id, this, last),
    )
    assert fast == raw
    assert fast[2] == [(2, 100.0), (3, 210.0)]  # leads 0-1 (0 converted); 3, 4, 6 (4 and 6 converted)
    assert fast[3]["totalMessages"] == 6 and fast[3]["contactsThisMonth"] == 8


def test_a_window_is_its_whole_days_and_partial_edges() -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    assert window_pieces(analytics.Window(start, start + timedelta(days=2, hours=4))) == (
        ("2026-11-01", "2026-11-03"),
        [(start, start), (start + timedelta(days=2), start + timedelta(days=2, hours=4))],
    )
    inside = analytics.Window(start + timedelta(hours=5), start + timedelta(hours=9))  # all raw
    assert window_pieces(inside) == (("", ""), [(inside.start, inside.end), (inside.end, inside.end)])
    odd = analytics.Window(start + timedelta(hours=5), start + timedelta(days=2, hours=1))
    assert window_pieces(odd) == (
        ("2026-11-02", "2026-11-03"),
        [(odd.start, start + timedelta(days=1)), (start + timedelta(days=2), odd.end)],
    )


async def test_the_dashboard_is_one_statement_of_index_searches(db: Database) -> None:
    principal = (await new_identity(db, "DashPlan")).principal()
    now = utcnow()
    await add_leads(db, principal, [now - timedelta(hours=1), now - timedelta(days=33)])
    await talk(db, principal, 0)
    this, last = windows(now)
    with captured(db) as seen:
        async with db.session() as s:
            await dashboard_totals(s, principal.account_id, this, last)
    assert len(seen) == 1
    [(sql, plan)] = await plans(db, seen)
    for table in ("messages", "contacts", "conversations"):
        assert f"FROM {table} " not in sql, sql
    if db.is_sqlite:
        assert "SCAN" not in plan, plan
        for index in ("record_months", "bucket_totals", "record_rollups"):
            assert f"SEARCH {index} USING INDEX sqlite_autoindex_{index}_1 (account_id=?" in plan, plan
        by_time = (
            r"SEARCH leads USING INDEX ix_leads_account_\w+ \(account_id=\? AND created_at>\? AND created_at<"
        )
        assert len(re.findall(by_time, plan)) == 4, plan  # (account_id, created_at ...) either index
    else:
        assert "Seq Scan" not in plan, plan
        for index in ("record_months_pkey", "bucket_totals_pkey", "record_rollups_pkey"):
            assert index in plan, plan


async def test_upgrade_backfills_downgrade_drops_the_months(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        principal = (await new_identity(db, "Months")).principal()
        now = utcnow()
        await add_leads(db, principal, [now - timedelta(days=1), now - timedelta(days=70)])
        await downgrade(db, "0024_dashboard-1")
        assert "record_months" not in await tables(db)
        await add_leads(db, principal, [now - timedelta(days=100)])  # 0022's triggers: day rows only
        await upgrade(db)  # backfilled from the day rows, those written meanwhile included
        assert "record_months" in await tables(db)
        await add_leads(db, principal, [now - timedelta(days=35)])  # and kept by the triggers again
        async with db.engine.connect() as conn:
            kept = (
                await conn.execute(
                    text(
                        "SELECT kind, month, sum(n) FROM record_months WHERE account_id = :a "
                        "GROUP BY kind, month HAVING sum(n) > 0"
                    ),
                    {"a": principal.account_id},
                )
            ).all()
        leads = Counter(("lead", (now - timedelta(days=d)).strftime("%Y-%m")) for d in (1, 70, 100, 35))
        contacts = {("contact", now.strftime("%Y-%m")): 4}  # created now (their `created_at` default)
        assert {(k, m): int(n) for k, m, n in kept} == contacts | leads
    finally:
        await db.close()
