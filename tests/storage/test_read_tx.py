"""Reads over statements built once (`storage.read_tx`, `Database.run_read_tx`, `lead_reads`): the
lead list and the pipeline read through the `Database` (one trip to SQLite's thread) give what the
same functions give on a session and what plain queries over the leads give; a plan's literals
are sent as compiled and its named parameters must be given; a read leaves no transaction open
and its statements are counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import StatementError

from frontdesk.errors import NotFound
from frontdesk.storage import crm, write_tx
from frontdesk.storage.db import Database
from frontdesk.storage.models import Lead
from frontdesk.storage.write_tx import Plan, Tx

SHAPES: list[dict[str, Any]] = [
    {},
    {"status": "qualified"},
    {"status": "new", "source": "website"},
    {"source": "referral", "created_from": datetime.now(UTC) - timedelta(days=90)},
    {"created_to": datetime.now(UTC) - timedelta(days=30)},
    {"min_value": 10_000.0, "max_value": 40_000.0},
    {"by_value": True},
    {"by_value": True, "ascending": True, "status": "contacted"},
    {"search": "an"},  # under 3 characters: LIKE
    {"search": "example"},  # the text index on SQLite
    {"offset": 4},
]


async def demo_account(db: Database) -> str:
    async with db.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT current_account_id FROM users WHERE email = 'demo@frontdesk.local'")
        )
        return str(found.scalar())


def _plain(page: Any, value: float) -> tuple[Any, ...]:
    return ([(r.id, r.name, r.status, r.value, r.created_at) for r in page.items], page.total, value)


@pytest.mark.parametrize("shape", SHAPES)
async def test_lead_pages_through_the_database_equal_the_session_and_cursor_pages(
    db: Database, shape: dict[str, Any]
) -> None:
    account_id = await demo_account(db)
    first, value = await crm.leads_page(db, account_id, limit=5, **shape)
    async with db.session() as s:
        on_session, session_value = await crm.leads_page(s, account_id, limit=5, **shape)
    assert _plain(first, value) == _plain(on_session, session_value)
    assert first.next_cursor == on_session.next_cursor
    if first.next_cursor and not shape.get("offset"):
        after, _ = await crm.leads_page(db, account_id, limit=5, cursor=first.next_cursor, **shape)
        async with db.session() as s:
            after_session, _ = await crm.leads_page(s, account_id, limit=5, cursor=first.next_cursor, **shape)
        assert [r.id for r in after.items] == [r.id for r in after_session.items]
        assert not {r.id for r in after.items} & {r.id for r in first.items}


async def test_lead_pages_match_plain_queries_over_the_leads(db: Database) -> None:
    account_id = await demo_account(db)
    since = datetime.now(UTC) - timedelta(days=120)
    async with db.session() as s:
        conds = [Lead.account_id == account_id, Lead.source == "website", Lead.created_at >= since]
        n, total = (
            await s.execute(select(func.count(), func.coalesce(func.sum(Lead.value), 0.0)).where(*conds))
        ).one()
        newest = list(
            await s.scalars(select(Lead.id).where(*conds).order_by(Lead.created_at.desc(), Lead.id).limit(3))
        )
        q_conds = [Lead.account_id == account_id, Lead.status == "qualified"]
        q_n = await s.scalar(select(func.count()).where(*q_conds))
        biggest = list(
            await s.scalars(select(Lead.id).where(*q_conds).order_by(Lead.value.desc(), Lead.id).limit(3))
        )
    page, value = await crm.leads_page(db, account_id, source="website", created_from=since, limit=3)
    assert (page.total, value, [r.id for r in page.items]) == (n, pytest.approx(total), newest)
    page, _ = await crm.leads_page(db, account_id, status="qualified", by_value=True, limit=3)
    assert (page.total, [r.id for r in page.items]) == (q_n, biggest)
    assert q_n > 3 and n > 0  # the demo data has something to compare


async def test_pipeline_through_the_database_matches_the_leads(db: Database) -> None:
    account_id = await demo_account(db)
    async with db.session() as s:
        rows = (
            await s.execute(
                select(Lead.status, func.count(), func.sum(Lead.value))
                .where(Lead.account_id == account_id)
                .group_by(Lead.status)
            )
        ).all()
        on_session = await crm.pipeline_by_status(s, account_id)
    expected = {status: (n, pytest.approx(v)) for status, n, v in rows}
    found = await crm.pipeline_by_status(db, account_id)
    assert list(found)[:4] == list(crm.LEAD_STATUSES)
    assert {k: v for k, v in found.items() if v[0]} == expected
    assert found == on_session


async def test_plan_literals_are_sent_as_compiled_and_named_parameters_are_required(db: Database) -> None:
    account_id = await demo_account(db)
    plan = Plan(
        select(func.coalesce(func.sum(Lead.value), 0.0), func.count())
        .where(Lead.account_id == bindparam("account_id"), Lead.value > -1)
        .having(func.count() >= 0)
    )
    (value, n), *_ = await db.run_read_tx(lambda tx: tx.execute(plan, {"account_id": account_id}))
    assert n > 0 and value > 0
    (value, n), *_ = await db.run_read_tx(lambda tx: tx.execute(plan, {"account_id": "account:none"}))
    assert (value, n) == (0.0, 0)
    with pytest.raises((KeyError, StatementError)):  # one hop / SQLAlchemy's "a value is required"
        await db.run_read_tx(lambda tx: tx.execute(plan, {}))


async def test_a_read_leaves_no_transaction_open_and_is_counted(db: Database) -> None:
    if not db.one_hop:
        pytest.skip("one trip to SQLite's thread: the embedded store only")
    plan = Plan(select(func.count()).select_from(Lead).where(Lead.account_id == bindparam("a")))
    before = write_tx.COUNTS["statements"]

    def reads(tx: Tx) -> list[Any]:
        return [tx.execute(plan, {"a": "x"}), tx.execute(plan, {"a": "y"})]

    assert await db.run_read_tx(reads) == [[(0,)], [(0,)]]
    assert write_tx.COUNTS["statements"] == before + 2
    async with db.engine.connect() as conn:  # the pool's connection is out of any transaction
        raw = await conn.get_raw_connection()
        assert not raw.driver_connection._conn.in_transaction  # type: ignore[union-attr]

    def fails(tx: Tx) -> None:
        tx.execute(plan, {"a": "x"})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await db.run_read_tx(fails)
    assert await db.run_read_tx(lambda tx: tx.execute(plan, {"a": "x"})) == [(0,)]


async def test_one_lead_and_a_contacts_leads_as_rows_match_the_orm(db: Database) -> None:
    account_id = await demo_account(db)
    async with db.session() as s:
        lead = (
            await s.scalars(select(Lead).where(Lead.account_id == account_id, Lead.contact_id.is_not(None)))
        ).first()
        assert lead is not None and lead.contact_id is not None
        contact_leads = list(
            await s.scalars(
                select(Lead)
                .where(Lead.account_id == account_id, Lead.contact_id == lead.contact_id)
                .order_by(Lead.created_at)
            )
        )
    row = await crm.lead_row(db, account_id, lead.id)
    assert (row.id, row.name, row.value, row.created_at, row.updated_at) == (
        lead.id,
        lead.name,
        lead.value,
        lead.created_at,
        lead.updated_at,
    )
    with pytest.raises(NotFound):
        await crm.lead_row(db, "account:other", lead.id)  # another account's lead is not found
    rows = await crm.contact_lead_rows(db, account_id, lead.contact_id)
    assert [r.id for r in rows] == [x.id for x in contact_leads]
    assert await crm.contact_lead_rows(db, "account:other", lead.contact_id) == []
