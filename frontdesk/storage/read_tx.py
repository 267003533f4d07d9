"""Reads over Core statements built once (`write_tx.Plan`), run without an ORM session.

    rows = await run_reads(db_or_session, lambda tx: tx.execute(plan, {"account_id": ...}))

Why: a CRM tool's read is one to three small statements. Through the ORM session each is a
statement built again on every call (SQLAlchemy's operator and function constructors), its cache
key computed, the ORM's compile and result setup, a greenlet switch and a trip to SQLite's thread.
A `Plan`'s statement is built once at import with named bind parameters, compiled once a dialect,
and on SQLite with `sqlite_driver`'s connections (`Database.run_read_tx`) all the statements of
one read run in a single call on a pooled connection's thread, their values through the column
types' own bind and result processors (`write_tx.HopTx`). Given an `AsyncSession` (callers that
hold one, and every store that is not the embedded SQLite one) the same function runs on the
session's connection (`write_tx.SessionTx`): the same statements, through SQLAlchemy.

Reads run outside any transaction on SQLite, as the session's reads do (Python's sqlite3 opens
none for a SELECT): each statement sees the last commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage import write_tx
from frontdesk.storage.db import Database

T = TypeVar("T")
Reader = AsyncSession | Database


async def run_reads(where: Reader, fn: Callable[[write_tx.Tx], T], *, one_hop: bool = True) -> T:
    """`fn(tx)` on `where`: a `Database` (one trip to SQLite's thread when `one_hop` and the store
    allows it, else a session of its own) or a caller's session (its connection and transaction)."""
    if isinstance(where, Database):
        return await where.run_read_tx(fn, one_hop=one_hop)
    return await where.run_sync(lambda s: fn(write_tx.SessionTx(s.connection())))


@asynccontextmanager
async def reader_session(where: Reader) -> AsyncIterator[AsyncSession]:
    """A session on `where`: a session of its own from a `Database`, else the caller's session."""
    if isinstance(where, Database):
        async with where.session() as session:
            yield session
    else:
        yield where


def dialect_name(where: Reader) -> str:
    """The store's SQL dialect ("sqlite", "postgresql")."""
    if isinstance(where, Database):
        return where.engine.dialect.name
    return where.get_bind().dialect.name
