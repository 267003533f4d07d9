"""The SQL store: migrations, pragmas, deterministic demo data."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, select, text

from frontdesk.storage.db import SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES, Database
from frontdesk.storage.demo import seed_demo
from frontdesk.storage.migrate import upgrade
from frontdesk.storage.models import Contact, Lead


async def test_migrations_create_every_table(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    await upgrade(db)
    await upgrade(db)  # idempotent
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        journal = (await conn.execute(text("PRAGMA journal_mode"))).scalar()
        fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar()
        cache = (await conn.execute(text("PRAGMA cache_size"))).scalar()
        mmap = (await conn.execute(text("PRAGMA mmap_size"))).scalar()
    await db.close()
    expected = {"accounts", "users", "memberships", "refresh_tokens", "conversations", "messages"}
    assert expected | {"contacts", "tags", "contact_tags", "leads", "alembic_version"} <= tables
    assert journal == "wal" and fks == 1
    assert (cache, mmap) == (SQLITE_CACHE_KIB, SQLITE_MMAP_BYTES)  # every pooled connection's


async def _snapshot(path: Path, seed: int) -> list[tuple[object, ...]]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await upgrade(db)
    anchor = datetime(2026, 6, 1, tzinfo=UTC)
    async with db.session() as s:
        summary = await seed_demo(s, seed=seed, contacts=80, anchor=anchor)
        contacts = (
            await s.execute(select(Contact.id, Contact.first_name, Contact.company, Contact.created_at))
        ).all()
        leads = (await s.execute(select(Lead.id, Lead.status, Lead.source, Lead.value))).all()
    await db.close()
    assert summary.contacts == 80 and summary.leads == len(leads)
    return sorted(map(tuple, contacts)) + sorted(map(tuple, leads))


async def test_demo_data_is_deterministic(tmp_path: Path) -> None:
    a = await _snapshot(tmp_path / "a.db", 7)
    b = await _snapshot(tmp_path / "b.db", 7)
    c = await _snapshot(tmp_path / "c.db", 8)
    assert a == b
    assert a != c


async def test_every_new_account_has_a_native_connection(tmp_path: Path) -> None:
    from frontdesk.storage.accounts import create_user_with_account
    from frontdesk.storage.models import Connection

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    await upgrade(db)
    async with db.session() as s:
        identity = await create_user_with_account(s, email="n@example.com", password="pw-12345678", name="N")
        rows = (await s.scalars(select(Connection).where(Connection.account_id == identity.account.id))).all()
    await db.close()
    assert [(c.platform, c.status) for c in rows] == [("native", "active")]
