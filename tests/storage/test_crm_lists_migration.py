"""Migration 0020_crm_lists on a database of its own (a SQLite file, or a scratch PostgreSQL
database on the server of FRONTDESK_DATABASE_URL): upgrade creates the keyset indexes and the
lead text index and fills it from the existing leads, downgrade removes exactly that, and
upgrading again restores it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from frontdesk.config import Settings
from frontdesk.storage import crm
from frontdesk.storage.db import Database
from frontdesk.storage.demo import seed_demo
from frontdesk.storage.migrate import downgrade, upgrade

KEYSET_INDEXES = {
    "ix_conversations_owner_keyset",
    "ix_conversations_owner_channel_keyset",
    "ix_leads_account_recent",
    "ix_leads_account_value_desc",
    "ix_leads_account_value",
    "ix_leads_account_status_recent",
    "ix_leads_account_source_recent",
}


@pytest.fixture
async def fresh(tmp_path: Path) -> AsyncIterator[Database]:
    url = Settings(data_dir=tmp_path).resolved_database_url
    if url.startswith("sqlite"):
        database = Database(url)
        yield database
        await database.close()
        return
    name = f"fd_mig_{uuid.uuid4().hex[:10]}"
    admin = Database(url)
    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    database = Database(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        yield database
    finally:
        await database.close()
        async with admin.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE "{name}"'))
        await admin.close()


async def schema(db: Database) -> tuple[set[str], set[str]]:
    """(index names on conversations and leads, text-search objects of leads)."""
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = await conn.execute(text("SELECT type, name FROM sqlite_master"))
            names = {(t, n) for t, n in rows.all()}
            indexes = {n for t, n in names if t == "index"}
            search = {n for t, n in names if n.startswith("leads_fts") and t in ("table", "trigger")}
        else:
            rows = await conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename IN ('conversations', 'leads')")
            )
            indexes = set(rows.scalars())
            search = {n for n in indexes if n.endswith("_trgm") and n.startswith("ix_leads_")} - {
                "ix_leads_name_trgm"  # 0014's
            }
    return indexes, search


async def lead_search_hits(db: Database, account_id: str, needle: str) -> int:
    async with db.session() as s:
        _, total, _ = await crm.list_leads(s, account_id, search=needle)
    return total


async def test_upgrade_backfills_downgrade_removes_and_upgrade_restores(fresh: Database) -> None:
    await upgrade(fresh)
    indexes, search = await schema(fresh)
    assert KEYSET_INDEXES <= indexes
    assert search >= (  # (SQLite: plus FTS5's shadow tables leads_fts_data, ...)
        {"leads_fts", "leads_fts_insert", "leads_fts_delete", "leads_fts_update"}
        if fresh.is_sqlite
        else {"ix_leads_email_trgm", "ix_leads_company_trgm"}
    )

    await downgrade(fresh, "0020_crm_lists@-1")  # 0020 alone; the other heads stay
    indexes, search = await schema(fresh)
    assert not KEYSET_INDEXES & indexes and not search
    assert "ix_leads_account_created" in indexes  # 0014's own indexes stay
    async with fresh.engine.connect() as conn:
        heads = set((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
    assert "0020_crm_lists" not in heads and len(heads) > 1  # only this branch went down

    # leads written while 0020 is absent: the upgrade must index them (backfill)
    async with fresh.session() as s:
        await seed_demo(s, contacts=40)
    async with fresh.engine.connect() as conn:
        account_id, name = (
            await conn.execute(text("SELECT account_id, name FROM leads ORDER BY id LIMIT 1"))
        ).one()
        needle = name.split()[-1].lower()
        like = (
            await conn.execute(
                text(
                    "SELECT count(*) FROM leads WHERE account_id = :a AND (lower(name) LIKE :p "
                    "OR lower(email) LIKE :p OR lower(company) LIKE :p)"
                ),
                {"a": account_id, "p": f"%{needle}%"},
            )
        ).scalar_one()
    await upgrade(fresh)
    indexes, search = await schema(fresh)
    assert KEYSET_INDEXES <= indexes and search
    assert like >= 1 and await lead_search_hits(fresh, account_id, needle) == like
