"""The `connections` rows of an account: its data sources. Always scoped to the account.

Credentials arrive here already encrypted (`storage.crm_credentials`); `settings` holds only
non-secret configuration (auth type, a HubSpot tag property, the demo connector's seed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound
from frontdesk.storage import audit
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Connection

MAX_CONNECTIONS = 50  # per account; the MyFusion plans allow 5-100


async def list_connections(
    session: AsyncSession, account_id: str, *, platform: str | None = None, status: str | None = None
) -> list[Connection]:
    conds = [Connection.account_id == account_id]
    if platform:
        conds.append(Connection.platform == platform)
    if status:
        conds.append(Connection.status == status)
    rows = await session.scalars(
        select(Connection).where(*conds).order_by(Connection.created_at, Connection.id)
    )
    return list(rows)


async def count_connections(session: AsyncSession, account_id: str) -> int:
    n = await session.scalar(
        select(func.count()).select_from(Connection).where(Connection.account_id == account_id)
    )
    return int(n or 0)


async def get_connection(session: AsyncSession, account_id: str, connection_id: str) -> Connection:
    row = await session.get(Connection, connection_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"Connection {connection_id} not found")
    return row


async def native_connection(session: AsyncSession, account_id: str) -> Connection:
    """The account's built-in CRM connection (created with the account)."""
    row = await session.scalar(
        select(Connection)
        .where(Connection.account_id == account_id, Connection.platform == "native")
        .order_by(Connection.created_at)
        .limit(1)
    )
    if row is None:
        raise NotFound("This account has no native CRM connection")
    return row


async def add_connection(
    session: AsyncSession,
    account_id: str,
    *,
    platform: str,
    name: str,
    credentials_encrypted: str | None,
    settings: dict[str, Any],
    actor: str | None = None,
) -> Connection:
    row = Connection(
        id=new_id("conn"),
        account_id=account_id,
        platform=platform,
        name=name,
        status="active",
        credentials_encrypted=credentials_encrypted,
        settings=settings,
    )
    session.add(row)
    after = {"platform": platform, "name": name, "settings": settings}
    audit.record_change(session, account_id, actor, "connection.create", ("connection", row.id), {}, after)
    await session.commit()
    return row


async def update_connection(
    session: AsyncSession,
    account_id: str,
    connection_id: str,
    *,
    name: str | None = None,
    credentials_encrypted: str | None = None,
    settings: dict[str, Any] | None = None,
    status: str | None = None,
    actor: str | None = None,
) -> Connection:
    """Change what is given; new credentials reset the status to active (they are untested)."""
    row = await get_connection(session, account_id, connection_id)
    before = audit.snapshot(row, {"name", "settings", "status"})
    if name is not None:
        row.name = name
    if credentials_encrypted is not None:
        row.credentials_encrypted = credentials_encrypted
        row.status = "active"
    if settings is not None:
        row.settings = dict(settings)  # a new dict, so the JSON column is written
    if status is not None:
        row.status = status
    row.updated_at = utcnow()
    after = audit.snapshot(row, {"name", "settings", "status"})
    if credentials_encrypted is not None:
        after["replaced"] = "credentials"  # that they changed, never what they are
    if actor is not None or before != after:  # a system write that changed nothing is not recorded
        audit.record_change(
            session, account_id, actor, "connection.update", ("connection", row.id), before, after
        )
    await session.commit()
    return row


async def delete_connection(
    session: AsyncSession, account_id: str, connection_id: str, *, actor: str | None = None
) -> datetime:
    row = await get_connection(session, account_id, connection_id)
    before = audit.snapshot(row, {"platform", "name", "status"})
    await session.delete(row)
    audit.record_change(
        session, account_id, actor, "connection.delete", ("connection", connection_id), before, {}
    )
    await session.commit()
    return utcnow()


def demo_connection(account_id: str, *, seed: int, anchor: datetime) -> Connection:
    """The offline `demo` connection the demo account gets (an outside CRM served from seeded data)."""
    return Connection(
        id=new_id("conn"),
        account_id=account_id,
        platform="demo",
        name="Demo CRM (offline sample data)",
        status="active",
        settings={"auth_type": "none", "seed": seed, "anchor": anchor.date().isoformat()},
    )
