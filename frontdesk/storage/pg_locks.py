"""PostgreSQL advisory locks: replicas started at the same moment on one database take turns at
start-up work (migrations, demo seeding). On SQLite there is one server per file and these do
nothing.

    async with db.engine.connect() as conn:
        async with session_lock(conn, "migrate"):
            ...  # one replica at a time

    await transaction_lock(session, "demo-seed")  # held until the session's transaction ends
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for `name` (the same in every process and release)."""
    digest = hashlib.blake2b(f"frontdesk:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _is_postgres(bind: AsyncConnection | AsyncSession) -> bool:
    dialect = bind.dialect if isinstance(bind, AsyncConnection) else bind.get_bind().dialect
    return dialect.name == "postgresql"


@asynccontextmanager
async def session_lock(conn: AsyncConnection, name: str) -> AsyncIterator[None]:
    """Hold the advisory lock `name` on `conn` (outside any transaction) for the block."""
    if not _is_postgres(conn):
        yield
        return
    key = lock_key(name)
    await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
    await conn.commit()  # the lock is the connection's, not the transaction's
    try:
        yield
    finally:
        await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        await conn.commit()


async def transaction_lock(session: AsyncSession, name: str) -> None:
    """Take the advisory lock `name` until the session's current transaction commits or rolls back."""
    if _is_postgres(session):
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
