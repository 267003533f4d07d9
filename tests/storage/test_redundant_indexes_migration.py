"""Migration 0028_redundant_indexes on a database of its own (SQLite, or a scratch PostgreSQL
database): upgrade drops the two indexes whose columns lead a wider one and keeps the wider ones,
downgrade puts them back, and upgrading again drops them again."""

from __future__ import annotations

from sqlalchemy import text

from frontdesk.storage.db import Database
from frontdesk.storage.migrate import downgrade, upgrade
from tests.storage.test_crm_lists_migration import fresh

__all__ = ["fresh"]  # the fixture, used by name
DROPPED = {"ix_conversations_owner", "ix_messages_account_id"}
WIDER = {"ix_conversations_owner_recent", "ix_messages_account_created"}


async def indexes(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        if db.is_sqlite:
            rows = await conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'"))
        else:
            rows = await conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename IN ('conversations', 'messages')")
            )
        return set(rows.scalars())


async def test_upgrade_drops_them_downgrade_restores_them(fresh: Database) -> None:
    await upgrade(fresh)
    found = await indexes(fresh)
    assert not DROPPED & found and WIDER <= found
    await downgrade(fresh, "0028_redundant_indexes@-1")
    found = await indexes(fresh)
    assert DROPPED <= found and WIDER <= found
    await upgrade(fresh)
    assert not DROPPED & await indexes(fresh)
