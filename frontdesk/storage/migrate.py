"""Apply the Alembic migrations shipped in `frontdesk/storage/migrations`, from code or the CLI."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from frontdesk.storage.db import Database
from frontdesk.storage.pg_locks import session_lock

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def _run(db: Database, step: str, revision: str) -> None:
    """`alembic <step> <revision>` over the database's own async engine, in one transaction,
    under the migration lock on PostgreSQL."""
    cfg = alembic_config(db.url)

    def run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        getattr(command, step)(cfg, revision)

    async with db.engine.connect() as conn, session_lock(conn, "migrate"):
        async with conn.begin():
            await conn.run_sync(run)


async def upgrade(db: Database, revision: str = "heads") -> None:
    """Bring the schema of `db` up to `revision` over the database's own async engine.

    The default is every head: features add migrations on their own branches off `0002`, and
    `heads` applies all of them. On PostgreSQL the upgrade runs under an advisory lock, so
    replicas started together on an empty database migrate one after another (the second finds
    the schema current) instead of racing to create the same tables."""
    await _run(db, "upgrade", revision)


async def downgrade(db: Database, revision: str) -> None:
    """Undo migrations down to `revision`. With several branches name one step of one branch
    (`0020_crm_lists@-1`, or `<rev>-1`): the other heads stay as they are."""
    await _run(db, "downgrade", revision)


async def open_migrated(url: str) -> Database:
    """A `Database` for `url` with every migration applied (CLI commands open the store this way)."""
    db = Database(url)
    await upgrade(db)
    return db
