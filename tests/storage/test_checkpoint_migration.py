"""Migration `0021_checkpoints` on SQLite and PostgreSQL: upgrade creates the approval tables,
downgrade removes exactly them (the other branches stay), and upgrade applies it again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from frontdesk.storage.db import Database
from frontdesk.storage.migrate import downgrade, upgrade
from tests.scale.cluster import postgres_database

TABLES = {"graph_checkpoints", "graph_checkpoint_writes", "approval_waits"}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new SQLite file, then a new PostgreSQL database (the migration tests run on both)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrate.db'}"
    else:
        with postgres_database() as database_url:
            yield database_url


async def tables(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        before = await tables(db)
        assert TABLES <= before and "agents" in before
        await downgrade(db, "0021_checkpoints-1")
        assert await tables(db) == before - TABLES  # only this revision's tables went
        await upgrade(db)
        assert await tables(db) == before
    finally:
        await db.close()
