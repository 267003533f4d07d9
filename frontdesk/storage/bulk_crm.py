"""`frontdesk demo --crm-contacts N`: bulk-load CRM contacts (1-2 tags each, a lead for every
fourth) into the native tables of the demo account, on the machinery of `bulk_demo` (one
transaction, per-row triggers dropped for the load, batches through the driver, the FTS5 index fed
in one statement on SQLite, the GIN indexes rebuilt on PostgreSQL, rollup counts added set-wise,
the account's tag counts recounted set-wise with their triggers off, and the contact list's
version moved on once instead of per contact).
"""

from __future__ import annotations

import importlib
import random
from datetime import UTC, datetime

from sqlalchemy import select, text

from frontdesk.storage import bulk_counts, contact_anchors, tag_counts
from frontdesk.storage.bulk_counts import LoadCounts
from frontdesk.storage.bulk_demo import CHUNK, Clock, Ids, Progress, Writer, bulk_transaction, demo_owner
from frontdesk.storage.db import Database
from frontdesk.storage.demo import COMPANIES, FIRST, LAST, POSITIONS, TAGS
from frontdesk.storage.models import Tag

_SQLITE_CONTACTS_FTS_INSERT = importlib.import_module(
    "frontdesk.storage.migrations.versions.0014_scale"
).SQLITE_CONTACTS_FTS[1]


async def load_contacts(
    db: Database,
    contacts: int,
    *,
    seed: int = 11,
    progress: Progress | None = None,
    owner: tuple[str, str] | None = None,
) -> int:
    """Add `contacts` CRM contacts (1-2 tags each, a lead for every fourth) to the demo account."""
    account_id, _ = owner or await demo_owner(db)
    rng, new_id, counts = random.Random(seed), Ids(random.Random()), LoadCounts()  # fresh id head
    clock = Clock(db.is_sqlite)
    now = int(datetime.now(UTC).timestamp() * 1_000_000)
    async with db.session() as s:
        tag_ids = dict((await s.execute(select(Tag.name, Tag.id).where(Tag.account_id == account_id))).all())
    names, weights = [n for n, _ in TAGS if n in tag_ids], [p for n, p in TAGS if n in tag_ids]
    drops = ["DROP TRIGGER IF EXISTS contacts_fts_insert"]
    async with bulk_transaction(db, drops, ("contacts", "leads")) as (conn, driver):
        for statement in tag_counts.drop_statements(conn.dialect.name):  # recounted set-wise below
            await conn.execute(text(statement))
        for statement in contact_anchors.drop_statements(conn.dialect.name):  # one bump below
            await conn.execute(text(statement))
        writer = Writer(conn, driver)
        fts = None
        if db.is_sqlite:
            fts = ("contacts_fts", "(rowid, name, email, company) SELECT rowid, "
                   "first_name || ' ' || last_name, email, company")  # fmt: skip
            await writer.mark("contacts")
        done = 0
        while done < contacts:
            n = min(CHUNK, contacts - done)
            people, links, leads = [], [], []
            for i in range(done, done + n):
                first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
                created, day, _ = clock(now - rng.randint(60_000_000, 365 * 86400 * 1_000_000))
                cid = new_id("contact")
                email = f"{first}.{last}.{i}@{company.split()[0]}.example".lower()
                people.append((cid, account_id, first, last, email, None, company, rng.choice(POSITIONS),
                               "active", created, created))  # fmt: skip
                counts.record("contact", day)
                for tag in set(rng.choices(names, weights=weights, k=rng.randint(1, 2)) if names else ()):
                    links.append((cid, tag_ids[tag]))
                if i % 4 == 0:
                    status = rng.choice(("new", "contacted", "qualified", "converted"))
                    source, value = (
                        rng.choice(("website", "referral", "ads")),
                        float(rng.randrange(500, 50_000, 250)),
                    )
                    leads.append((new_id("lead"), account_id, cid, f"{first} {last}", email, company, status,
                                  source, value, created, created))  # fmt: skip
                    counts.record("lead", day, source, status, value)
            await writer.write("contacts", "id, account_id, first_name, last_name, email, phone, company, "
                               "position, status, created_at, updated_at", people, fts)  # fmt: skip
            await writer.write("contact_tags", "contact_id, tag_id", links)
            await writer.write("leads", "id, account_id, contact_id, name, email, company, status, source, "
                               "value, created_at, updated_at", leads)  # fmt: skip
            done += n
            if progress:
                progress("contacts", done, contacts)
        if db.is_sqlite:
            await conn.execute(text(_SQLITE_CONTACTS_FTS_INSERT))
        await bulk_counts.add(conn, driver, counts, account_id)
        await tag_counts.recount(conn, account_id)
        for statement in tag_counts.create_statements(conn.dialect.name):
            await conn.execute(text(statement))
        await contact_anchors.bump(conn, account_id)
        for statement in contact_anchors.create_statements(conn.dialect.name):
            await conn.execute(text(statement))
    return contacts
