"""Deep offsets of the unfiltered contact list sought from anchors (`contact_anchors`, migration
0027): every page equals the plain `OFFSET` query for every sort and order, before and after the
list changes (added, removed, renamed, moved between accounts, a bulk load), and changes that do
not move the order leave the anchors in use. Runs on SQLite and, with FRONTDESK_DATABASE_URL, on
PostgreSQL (where the version is bumped at commit, once per transaction, and concurrent contact
writers of one account all commit)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update

from frontdesk.storage import bulk_crm, contact_anchors, contact_list, crm_write, keyset
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id
from frontdesk.storage.migrate import downgrade, upgrade
from frontdesk.storage.models import Contact
from tests.conftest import new_identity
from tests.storage.test_crm_lists_migration import fresh

__all__ = ["fresh"]  # the fixture, used by name
STEP = 20  # small anchors, so a few hundred contacts have many of them


@pytest.fixture(autouse=True)
def small_steps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(contact_anchors, "STEP", STEP)
    monkeypatch.setattr(contact_anchors, "FROM_OFFSET", 2 * STEP)
    monkeypatch.setattr(contact_anchors, "REBUILD_EVERY", 0.0)
    contact_anchors._cache.clear()
    yield
    contact_anchors._cache.clear()


async def plain(db: Database, account_id: str, sort: str, order: str, offset: int, limit: int) -> list[str]:
    """The page's ids by the plain OFFSET query (what the list did before the anchors)."""
    async with db.session() as s:
        keys = contact_list.contact_keys(sort, order, db.engine.dialect.name)
        stmt = select(*keyset.columns(keys)).where(Contact.account_id == account_id)
        rows = (await s.execute(keyset.page(stmt, keys, None, "contacts", limit, offset))).all()
    return [r[-1] for r in rows[:limit]]


async def listed(db: Database, account_id: str, sort: str, order: str, offset: int, limit: int) -> list[str]:
    async with db.session() as s:
        page = await contact_list.contacts_page(
            s, account_id, sort=sort, order=order, offset=offset, limit=limit
        )
    return [c.id for c in page.items]


async def version(db: Database, account_id: str) -> Any:
    async with db.engine.connect() as conn:
        return await conn.scalar(
            text("SELECT version FROM contact_list_versions WHERE account_id = :a"), {"a": account_id}
        )


async def same_everywhere(db: Database, account_id: str, total: int) -> int:
    """Every sort, order and a spread of offsets (anchored or not, past the end too) give the
    plain query's page, and the deep ones are served from anchors; returns how many pages were
    compared."""
    compared, served = 0, contact_anchors.SERVED[0]
    for sort in contact_list.CONTACT_SORTS:
        for order in ("asc", "desc"):
            for offset in (
                0,
                2 * STEP - 1,
                2 * STEP,
                2 * STEP + 7,
                total - 3,
                total - STEP,
                total,
                total + 5,
            ):
                for limit in (1, 7):
                    want = await plain(db, account_id, sort, order, max(offset, 0), limit)
                    assert await listed(db, account_id, sort, order, max(offset, 0), limit) == want, (
                        sort,
                        order,
                        offset,
                        limit,
                    )
                    compared += 1
    if total >= 3 * STEP:  # each sort's first deep page started the anchors' read; the rest use
        # them (up to 11 of the 12 deep pages of each sort and order; at least half here: a read
        # that finds the list moved pages the plain way, and that is allowed, the pages above
        # are checked equal either way)
        assert contact_anchors.SERVED[0] - served >= 6 * 6, contact_anchors.SERVED[0] - served
    return compared


async def people(db: Database, account_id: str, names: list[tuple[str, str, str]]) -> list[str]:
    ids = []
    async with db.session() as s:
        for first, last, company in names:
            contact = await crm_write.create_contact(
                s, account_id, {"first_name": first, "last_name": last, "company": company}
            )
            ids.append(contact.id)
    return ids


def names(n: int, seed: int) -> list[tuple[str, str, str]]:
    # few distinct last names: many ties, so the id breaks most of them
    return [(f"P{(i * seed) % 97}", f"L{(i * 7 + seed) % 13}", f"C{i % 5}") for i in range(n)]


async def test_anchored_pages_equal_the_plain_offset_before_and_after_changes(db: Database) -> None:
    account_id = (await new_identity(db, "Anchored")).account.id
    ids = await people(db, account_id, names(230, 3))
    assert await same_everywhere(db, account_id, 230) == 96
    assert len(contact_anchors._cache) == 6  # every sort and order read its anchors once
    before = {k: a.version for k, a in contact_anchors._cache.items()}

    # a change that does not move the order: the version stays, the anchors stay in use
    kept_version = await version(db, account_id)
    async with db.session() as s:
        await crm_write.update_contact(s, account_id, ids[5], {"notes": "called back", "phone": "+15550100"})
    assert await version(db, account_id) == kept_version
    assert await same_everywhere(db, account_id, 230) == 96
    assert {k: a.version for k, a in contact_anchors._cache.items()} == before

    # added before everything, removed, renamed, re-dated: each moves the version, pages stay right
    await people(db, account_id, [("Aaron", "Aa", "Aa inc")] * 9)
    assert await version(db, account_id) != kept_version
    assert await same_everywhere(db, account_id, 239) == 96
    async with db.session() as s:
        await s.execute(delete(Contact).where(Contact.id.in_(ids[:15])))
        await s.commit()
        await crm_write.update_contact(s, account_id, ids[100], {"last_name": "Zz", "company": "Zz"})
        await s.execute(update(Contact).where(Contact.id == ids[101]).values(created_at=Contact.created_at))
        await s.commit()
    assert await same_everywhere(db, account_id, 224) == 96


async def test_a_contact_moved_to_another_account_moves_both_lists(db: Database) -> None:
    a = (await new_identity(db, "From")).account.id
    b = (await new_identity(db, "To")).account.id
    ids = await people(db, a, names(120, 5))
    await people(db, b, names(90, 11))
    await same_everywhere(db, a, 120)
    await same_everywhere(db, b, 90)
    va, vb = await version(db, a), await version(db, b)
    async with db.session() as s:
        await s.execute(update(Contact).where(Contact.id.in_(ids[:30])).values(account_id=b))
        await s.commit()
    assert await version(db, a) != va and await version(db, b) != vb
    await same_everywhere(db, a, 90)
    await same_everywhere(db, b, 120)


async def test_a_bulk_load_moves_the_version_and_the_triggers_come_back(db: Database) -> None:
    identity = await new_identity(db, "Bulk")
    account_id = identity.account.id
    await people(db, account_id, names(50, 7))
    await same_everywhere(db, account_id, 50)
    before = await version(db, account_id)
    await bulk_crm.load_contacts(db, 150, owner=(account_id, identity.user.id))
    assert await version(db, account_id) != before
    await same_everywhere(db, account_id, 200)
    after = await version(db, account_id)
    await people(db, account_id, [("Zed", "Zz", "Zz")])  # the triggers are back
    assert await version(db, account_id) != after
    await same_everywhere(db, account_id, 201)


async def test_one_writing_transaction_bumps_once_and_concurrent_writers_all_commit(db: Database) -> None:
    account_id = (await new_identity(db, "Writers")).account.id
    await people(db, account_id, names(3, 1))
    start = await version(db, account_id)
    async with db.session() as s:  # one transaction: 10 inserts and 3 renames
        s.add_all(Contact(id=new_id("contact"), account_id=account_id, first_name=f"T{i}") for i in range(10))
        await s.flush()
        await s.execute(update(Contact).where(Contact.account_id == account_id).values(last_name="Same"))
        await s.commit()
    one = await version(db, account_id)
    if db.is_sqlite:
        assert one - start == 10 + 2 * 13  # row triggers: every insert, every update twice (old, new)
    else:
        assert one - start == 1  # at commit, once per transaction

    async def writer(seed: int) -> None:
        for _ in range(5):
            await people(db, account_id, names(2, seed))

    await asyncio.gather(*(writer(seed) for seed in range(4)))  # 4 writers, 40 contacts at once
    assert await version(db, account_id) - one == 40  # (`create_contact` commits each one)
    await same_everywhere(db, account_id, 53)


async def test_the_anchored_page_seeks_the_sort_index(db: Database) -> None:
    """The page read from an anchor starts with a seek in the account's sort index (no sort
    step, no scan of the table)."""
    account_id = (await new_identity(db, "Planned")).account.id
    keys = contact_list.contact_keys("name", "asc", db.engine.dialect.name)
    stmt = (
        select(*keyset.columns(keys))
        .where(Contact.account_id == account_id, keyset.after(keys, ("l1", "p1", "contact_x")))
        .order_by(*keyset.order_by(keys))
        .limit(51)
        .offset(7)
    )
    async with db.engine.connect() as conn:
        compiled = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        if db.is_sqlite:
            plan = " ".join(
                str(r[-1]) for r in (await conn.execute(text("EXPLAIN QUERY PLAN " + compiled))).all()
            )
            assert "ix_contacts_account_name" in plan and "TEMP B-TREE" not in plan, plan
        else:
            for kind in ("seqscan", "bitmapscan"):  # a tiny table: ask for the plan of a big one
                await conn.execute(text(f"SET enable_{kind} = off"))
            plan = " ".join(r[0] for r in (await conn.execute(text("EXPLAIN " + compiled))).all())
            assert "Scan using ix_contacts_account_name" in plan and "Sort" not in plan, plan
            assert "Index Cond: " in plan and "ROW(" in plan.split("Index Cond: ")[1], plan  # the seek


async def test_migration_creates_and_downgrade_removes(fresh: Database) -> None:
    await upgrade(fresh)
    account_id = (await new_identity(fresh, "Versioned")).account.id
    await people(fresh, account_id, names(3, 1))
    assert await version(fresh, account_id) is not None
    await downgrade(fresh, "0027_contact_list_versions@-1")  # this branch alone; the other heads stay
    async with fresh.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert "contact_list_versions" not in tables and "contacts" in tables
    await people(fresh, account_id, names(2, 2))  # contact writes work without the triggers
    await upgrade(fresh)
    assert await version(fresh, account_id) is None  # nothing to backfill: the next write starts it
    await people(fresh, account_id, names(1, 3))
    assert await version(fresh, account_id) is not None
    await same_everywhere(fresh, account_id, 6)


async def test_a_transaction_that_wrote_contacts_pages_its_own_list(db: Database) -> None:
    """Before its commit a writing transaction sees its own changes; on PostgreSQL the version
    moves only at commit, so such a transaction must not page from the anchors."""
    account_id = (await new_identity(db, "Own")).account.id
    await people(db, account_id, names(120, 3))
    await same_everywhere(db, account_id, 120)  # anchors read
    async with db.session() as s:
        s.add_all(
            Contact(id=new_id("contact"), account_id=account_id, first_name="Aa", last_name="Aa")
            for _ in range(5)
        )
        await s.flush()  # not committed: only this transaction sees the five first contacts
        keys = contact_list.contact_keys("name", "asc", db.engine.dialect.name)
        stmt = select(*keyset.columns(keys)).where(Contact.account_id == account_id)
        want = [r[-1] for r in (await s.execute(keyset.page(stmt, keys, None, "contacts", 7, 60))).all()][:7]
        page = await contact_list.contacts_page(s, account_id, offset=60, limit=7)
        assert [c.id for c in page.items] == want
        await s.rollback()
