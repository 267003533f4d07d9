"""What helpers leave behind besides CRM edits: notifications recorded for users, and the owner
of a contact or lead. These functions do not commit: they join the helper run's transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.helper_models import HelperNotification, RecordOwner
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Membership, User


async def members(session: AsyncSession, account_id: str, user_ids: Sequence[str]) -> dict[str, User]:
    """The users among `user_ids` who belong to the account, by id."""
    rows = await session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.account_id == account_id, User.id.in_(list(user_ids)))
    )
    return {u.id: u for u in rows}


async def add_notification(
    session: AsyncSession,
    *,
    account_id: str,
    user_id: str,
    title: str,
    message: str,
    level: str = "info",
    helper_id: str | None = None,
    execution_id: str | None = None,
    contact_id: str | None = None,
) -> HelperNotification:
    note = HelperNotification(
        id=new_id("notif"),
        account_id=account_id,
        user_id=user_id,
        title=title,
        message=message,
        level=level,
        helper_id=helper_id,
        execution_id=execution_id,
        contact_id=contact_id,
    )
    session.add(note)
    await session.flush()
    return note


async def owner_of(session: AsyncSession, account_id: str, record_id: str) -> RecordOwner | None:
    row = await session.get(RecordOwner, record_id)
    return row if row is not None and row.account_id == account_id else None


async def set_owner(
    session: AsyncSession,
    *,
    account_id: str,
    record_type: str,
    record_id: str,
    owner_user_id: str,
    helper_id: str | None,
) -> RecordOwner:
    row = await owner_of(session, account_id, record_id)
    if row is None:
        row = RecordOwner(record_id=record_id, account_id=account_id, record_type=record_type)
        session.add(row)
    row.owner_user_id = owner_user_id
    row.helper_id = helper_id
    row.assigned_at = utcnow()
    await session.flush()
    return row


async def owner_loads(session: AsyncSession, account_id: str, user_ids: Sequence[str]) -> dict[str, int]:
    """How many records each of `user_ids` owns in the account (zeros included)."""
    rows = await session.execute(
        select(RecordOwner.owner_user_id, func.count())
        .where(RecordOwner.account_id == account_id, RecordOwner.owner_user_id.in_(list(user_ids)))
        .group_by(RecordOwner.owner_user_id)
    )
    found = {uid: int(n) for uid, n in rows.all()}
    return {uid: found.get(uid, 0) for uid in user_ids}


async def drop_owners(session: AsyncSession, account_id: str, record_ids: Sequence[str]) -> None:
    """Forget owners of records that no longer exist (e.g. contacts merged away)."""
    if record_ids:
        await session.execute(
            delete(RecordOwner).where(
                RecordOwner.account_id == account_id, RecordOwner.record_id.in_(list(record_ids))
            )
        )
