"""`tag_counts` (migration 0025): the counts kept by the `contact_tags` triggers equal a recount of
the links after concurrent taggers, contact and tag deletes and a bulk load; the migration
backfills existing links and its downgrade removes table and triggers. Runs on SQLite and, with
FRONTDESK_DATABASE_URL, on PostgreSQL (where concurrent taggers of one contact are serialised by
the trigger's row lock)."""

from __future__ import annotations

import asyncio
import random

from sqlalchemy import delete, select, text, update

from frontdesk.storage import bulk_crm, crm, crm_write
from frontdesk.storage.db import Database
from frontdesk.storage.migrate import downgrade, upgrade
from frontdesk.storage.models import Contact, ContactTag, Tag
from tests.conftest import new_identity
from tests.storage.test_crm_lists_migration import fresh

__all__ = ["fresh"]  # the fixture, used by name
NAMES = ("red", "green", "blue", "gold", "grey")


async def kept(db: Database, account_id: str) -> dict[tuple[str, str], int]:
    """The non-zero rows of `tag_counts` for the account's tags."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT tag_id, other_id, n FROM tag_counts WHERE n <> 0 AND tag_id IN "
                "(SELECT id FROM tags WHERE account_id = :a)"
            ),
            {"a": account_id},
        )
        return {(t, o): int(n) for t, o, n in rows.all()}


async def counted(db: Database, account_id: str) -> dict[tuple[str, str], int]:
    """The same counts worked out from the links in Python."""
    async with db.session() as s:
        rows = await s.execute(
            select(ContactTag.contact_id, ContactTag.tag_id)
            .join(Tag, Tag.id == ContactTag.tag_id)
            .where(Tag.account_id == account_id)
        )
        per_contact: dict[str, list[str]] = {}
        for contact_id, tag_id in rows.all():
            per_contact.setdefault(contact_id, []).append(tag_id)
    out: dict[tuple[str, str], int] = {}
    for tags in per_contact.values():
        for t in tags:
            out[(t, "")] = out.get((t, ""), 0) + 1
        for a in tags:
            for b in tags:
                if a < b:
                    out[(a, b)] = out.get((a, b), 0) + 1
    return out


async def contacts_of(db: Database, account_id: str, n: int) -> list[str]:
    ids = []
    async with db.session() as s:
        for i in range(n):
            contact = await crm_write.create_contact(s, account_id, {"first_name": f"Person{i}"})
            ids.append(contact.id)
    return ids


async def test_counts_equal_a_recount_after_concurrent_taggers_and_deletes(db: Database) -> None:
    account_id = (await new_identity(db, "Counter")).account.id
    ids = await contacts_of(db, account_id, 12)

    async def tagger(seed: int) -> None:  # (its own contacts: `tag_contact` reads, then writes)
        rng = random.Random(seed)
        for _ in range(25):
            async with db.session() as s:  # each change its own transaction, all taggers at once
                add = rng.sample(NAMES, rng.randint(0, 2))
                remove = rng.sample(NAMES, rng.randint(0, 2))
                await crm_write.tag_contact(s, account_id, rng.choice(ids[seed::4]), add=add, remove=remove)

    await asyncio.gather(*(tagger(seed) for seed in range(4)))
    want = await counted(db, account_id)
    assert any(other for _, other in want)  # pairs were formed
    assert await kept(db, account_id) == want

    async with db.session() as s:  # a contact deleted: its links go by cascade, counts with them
        await s.execute(delete(Contact).where(Contact.id == ids[0]))
        tag = await s.scalar(select(Tag).where(Tag.account_id == account_id, Tag.name == "red"))
        assert tag is not None
        await s.execute(delete(Tag).where(Tag.id == tag.id))  # a tag deleted: the same
        await s.commit()
    assert await kept(db, account_id) == await counted(db, account_id)


async def test_two_sessions_tagging_one_contact_at_once_count_the_pair(db: Database) -> None:
    """Each session adds a different tag to the same contact in its own transaction, interleaved
    so that both links are written before either commits; the pair is counted once."""
    account_id = (await new_identity(db, "Pairs")).account.id
    (contact_id,) = await contacts_of(db, account_id, 1)
    async with db.session() as s:
        tags = await crm_write.tags_by_name(s, account_id, ["left", "right"])
        await s.commit()
        left, right = (t.id for t in tags)
    if db.is_sqlite:  # one writer: the second waits for the first's commit
        for tag_id in (left, right):
            async with db.session() as s:
                s.add(ContactTag(contact_id=contact_id, tag_id=tag_id))
                await s.commit()
    else:
        first_written = asyncio.Event()

        async def link(tag_id: str, wait: asyncio.Event | None) -> None:
            async with db.session() as s:
                if wait is not None:
                    await wait.wait()
                s.add(ContactTag(contact_id=contact_id, tag_id=tag_id))
                if wait is None:
                    await s.flush()  # the first link and its trigger (holding the contact's lock)
                    first_written.set()
                    await asyncio.sleep(0.3)  # the other's insert and trigger start meanwhile
                await s.commit()

        await asyncio.gather(link(left, None), link(right, first_written))
    low, high = sorted((left, right))
    assert await kept(db, account_id) == {(left, ""): 1, (right, ""): 1, (low, high): 1}


async def test_the_contact_list_reads_its_totals_from_the_counts(db: Database) -> None:
    account_id = (await new_identity(db, "Lister")).account.id
    ids = await contacts_of(db, account_id, 9)
    async with db.session() as s:
        for i, contact_id in enumerate(ids):
            await crm_write.tag_contact(
                s, account_id, contact_id, add=[n for n, on in (("x", i % 2 == 0), ("y", i % 3 == 0)) if on]
            )
    async with db.session() as s:
        assert (await crm.contacts_page(s, account_id, tags=["x"])).total == 5
        assert (await crm.contacts_page(s, account_id, tags=["X", "y"])).total == 2  # 0 and 6
        tags, _ = await crm.list_tags(s, account_id)
        assert {t.name: n for t, n in tags} == {"x": 5, "y": 3}


async def test_bulk_load_recounts_and_leaves_the_triggers_in_place(db: Database) -> None:
    identity = await new_identity(db, "Bulk")
    account_id = identity.account.id
    async with db.session() as s:
        await crm_write.tags_by_name(s, account_id, ["VIP", "customer", "prospect"])
        await s.commit()
    await bulk_crm.load_contacts(db, 400, owner=(account_id, identity.user.id))
    want = await counted(db, account_id)
    assert sum(n for (_, other), n in want.items() if other) > 0
    assert await kept(db, account_id) == want
    ids = await contacts_of(db, account_id, 1)
    async with db.session() as s:  # the triggers are back after the load
        await crm_write.tag_contact(s, account_id, ids[0], add=["VIP", "customer"])
    assert await kept(db, account_id) == await counted(db, account_id)


async def test_migration_backfills_and_downgrade_removes(fresh: Database) -> None:
    await upgrade(fresh)
    account_id = (await new_identity(fresh, "Migrated")).account.id
    ids = await contacts_of(fresh, account_id, 6)
    async with fresh.session() as s:
        for i, contact_id in enumerate(ids):
            await crm_write.tag_contact(s, account_id, contact_id, add=["p", "q"][: 1 + i % 2])
    await downgrade(fresh, "0025_tag_counts@-1")  # 0025 alone; the other heads stay
    async with fresh.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert "tag_counts" not in tables
    async with fresh.session() as s:  # links written while no trigger counts them
        await crm_write.tag_contact(s, account_id, ids[0], add=["r"])
    await upgrade(fresh)  # the backfill counts what is there
    want = await counted(fresh, account_id)
    assert len([k for k in want if not k[1]]) == 3 and await kept(fresh, account_id) == want  # p, q, r
    async with fresh.session() as s:
        await crm_write.tag_contact(s, account_id, ids[1], remove=["p"])
    assert await kept(fresh, account_id) == await counted(fresh, account_id)


async def test_a_link_moved_to_another_tag_moves_its_counts(db: Database) -> None:
    """An UPDATE of a link (no code path does it today; a hand-written fix might) counts as the old
    link deleted and the new one inserted."""
    account_id = (await new_identity(db, "Mover")).account.id
    (contact_id,) = await contacts_of(db, account_id, 1)
    async with db.session() as s:
        await crm_write.tag_contact(s, account_id, contact_id, add=["from", "stay"])
        (target,) = await crm_write.tags_by_name(s, account_id, ["to"])
        await s.commit()
        moved = await s.scalar(select(Tag.id).where(Tag.account_id == account_id, Tag.name == "from"))
        await s.execute(
            update(ContactTag)
            .where(ContactTag.contact_id == contact_id, ContactTag.tag_id == moved)
            .values(tag_id=target.id)
        )
        await s.commit()
    want = await counted(db, account_id)
    assert len(want) == 3 and await kept(db, account_id) == want  # to, stay and their pair


async def test_sessions_adding_the_same_tag_to_one_contact_at_once_all_succeed(db: Database) -> None:
    """Each session reads the contact's tags, then writes its link; the ones that lose the race
    to the same link read the tags again and find the tag there (not an IntegrityError)."""
    account_id = (await new_identity(db, "Racers")).account.id
    ids = await contacts_of(db, account_id, 3)

    async def add(contact_id: str, name: str) -> None:
        async with db.session() as s:
            await crm_write.tag_contact(s, account_id, contact_id, add=[name])

    async def replace(contact_id: str) -> None:  # a whole tag set, as PUT /api/contacts/{id}
        async with db.session() as s:
            await crm_write.update_contact(s, account_id, contact_id, {}, tags=["same", "third"])

    for name in ("same", "again"):
        await asyncio.gather(*(add(contact_id, name) for contact_id in ids for _ in range(4)))
    async with db.session() as s:
        for contact_id in ids:
            assert (await crm.get_contact(s, account_id, contact_id)).tag_names == ["again", "same"]
    await asyncio.gather(*(replace(contact_id) for contact_id in ids for _ in range(4)))
    async with db.session() as s:
        for contact_id in ids:
            assert (await crm.get_contact(s, account_id, contact_id)).tag_names == ["same", "third"]
    assert await kept(db, account_id) == await counted(db, account_id)
