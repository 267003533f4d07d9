"""The lake catalog in the SQL store: which objects a connection has in the lake, how many records,
which fields, and when they were last synced. Every lookup is scoped to an account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid
from frontdesk.storage import crm_connections
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.lake.schema import fields_of
from frontdesk.storage.lake.store import WrittenFile
from frontdesk.storage.lake_models import LakeObject
from frontdesk.storage.models import Connection


async def get_connection(session: AsyncSession, account_id: str, connection_id: str | None) -> Connection:
    """The account's connection (the `native` one when `connection_id` is None); 404 if not theirs."""
    if connection_id is None:
        return await crm_connections.native_connection(session, account_id)
    return await crm_connections.get_connection(session, account_id, connection_id)


async def list_connections(session: AsyncSession, account_id: str) -> list[Connection]:
    """The account's active connections, oldest first."""
    return await crm_connections.list_connections(session, account_id, status="active")


async def ensure_connection(
    session: AsyncSession, account_id: str, platform: str, name: str, settings: dict[str, Any]
) -> Connection:
    """The account's first connection of `platform`, created (and committed) when missing."""
    conn = await session.scalar(
        select(Connection)
        .where(Connection.account_id == account_id, Connection.platform == platform)
        .order_by(Connection.created_at)
        .limit(1)
    )
    if conn is None:
        conn = Connection(
            id=new_id("conn"), account_id=account_id, platform=platform, name=name, settings=settings
        )
        session.add(conn)
    else:
        conn.name, conn.settings = name, {**(conn.settings or {}), **settings}
    await session.commit()
    return conn


async def record(
    session: AsyncSession, conn: Connection, object_type: str, written: WrittenFile
) -> LakeObject:
    """Upsert the catalog row of a freshly written file and stamp the connection's last sync.
    Two syncs of one connection at once both find no row: the loser of the insert race retries
    once and updates the winner's row (no 500 from the unique constraint)."""
    try:
        return await _record(session, conn, object_type, written)
    except IntegrityError:
        await session.rollback()
        conn = await session.merge(conn)
        return await _record(session, conn, object_type, written)


async def _record(
    session: AsyncSession, conn: Connection, object_type: str, written: WrittenFile
) -> LakeObject:
    row = await session.scalar(
        select(LakeObject).where(LakeObject.connection_id == conn.id, LakeObject.object_type == object_type)
    )
    if row is None:
        row = LakeObject(account_id=conn.account_id, connection_id=conn.id, object_type=object_type)
        session.add(row)
    now = utcnow()
    row.path = written.relative
    row.record_count = written.record_count
    row.size_bytes = written.size_bytes
    row.fields = fields_of(written.schema)
    row.last_synced = now
    conn.last_synced_at = now
    await session.commit()
    return row


async def objects(session: AsyncSession, account_id: str, connection_id: str) -> list[LakeObject]:
    rows = await session.scalars(
        select(LakeObject)
        .where(LakeObject.account_id == account_id, LakeObject.connection_id == connection_id)
        .order_by(LakeObject.object_type)
    )
    return list(rows)


async def get_object(
    session: AsyncSession, account_id: str, connection_id: str, object_type: str
) -> LakeObject:
    """One object of the account's connection. Unknown object -> 400 naming it."""
    row = await session.scalar(
        select(LakeObject).where(
            LakeObject.account_id == account_id,
            LakeObject.connection_id == connection_id,
            LakeObject.object_type == object_type,
        )
    )
    if row is None:
        known = [o.object_type for o in await objects(session, account_id, connection_id)]
        hint = (
            f" (this connection has: {', '.join(known)})"
            if known
            else " (this connection has not been synced)"
        )
        raise Invalid(f"Unknown object type '{object_type}'{hint}")
    return row


def object_public(row: LakeObject) -> dict[str, Any]:
    return {
        "object_type": row.object_type,
        "record_count": row.record_count,
        "last_synced": iso(row.last_synced),
        "fields": [f["name"] for f in row.fields if not f["name"].startswith("_")],
        "field_types": {f["name"]: f["type"] for f in row.fields if not f["name"].startswith("_")},
        "size_bytes": row.size_bytes,
    }
