"""Deleting an account (MIA's `DELETE /api/tenants/{id}`) and the public details of an invitation
(MIA's invite acceptance page).

Deleting is the Owner's alone (a member without ownership: 403; anyone else: 404) and needs the
Owner to keep another account to land in (400 otherwise: nobody deletes the account they stand
on with nowhere to go). Every row of the account goes with it through the foreign keys'
`ON DELETE CASCADE` (conversations, messages, contacts, leads, helpers, jobs, files, keys, ...);
the audit log keeps its entries (its `account_id` is a plain column), with an `account.delete`
entry naming who deleted it. Members whose current account it was move to another account of
theirs; a member with no other account can no longer sign in until invited somewhere. Blobs on
disk (uploaded files, the account's lake directory) are removed after the commit by the caller,
from the storage names this returns.

Invitations expire `INVITE_TTL` (7 days, as the seed says) after they were made; an expired one
can no longer be accepted, and its details say `expired`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Forbidden, Invalid, NotFound
from frontdesk.storage import audit
from frontdesk.storage.db import Database
from frontdesk.storage.file_models import StoredFile
from frontdesk.storage.ids import iso, utcnow
from frontdesk.storage.models import Account, Membership, User
from frontdesk.storage.team_models import Invitation
from frontdesk.storage.turn_models import Turn

INVITE_TTL = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Deleted:
    account_id: str
    name: str
    storage_names: list[str]  # uploaded files to remove from disk
    running_conversations: list[str]  # conversations with a turn still running (to cancel)


def invite_expires_at(created_at: datetime) -> datetime:
    return created_at + INVITE_TTL


def invite_status(inv: Invitation, now: datetime | None = None) -> str:
    """pending | accepted | revoked | expired (a pending invitation past its 7 days)."""
    now = now or utcnow()
    created = inv.created_at if inv.created_at.tzinfo else inv.created_at.replace(tzinfo=UTC)
    current = now if now.tzinfo else now.replace(tzinfo=UTC)
    if inv.status == "pending" and invite_expires_at(created) <= current:
        return "expired"
    return inv.status


async def running_conversations(session: AsyncSession, account_id: str) -> list[str]:
    rows = await session.scalars(
        select(Turn.conversation_id).where(Turn.account_id == account_id, Turn.status == "running").distinct()
    )
    return list(rows)


async def delete_account(db: Database, user_id: str, account_id: str) -> Deleted:
    """Delete the account and everything in it (see the module doc for the rules)."""

    async def run(s: AsyncSession) -> Deleted:
        m = await s.scalar(
            select(Membership).where(Membership.account_id == account_id, Membership.user_id == user_id)
        )
        if m is None:
            raise NotFound("Workspace not found")
        if m.role != "Owner":
            raise Forbidden("Only the workspace's owner can delete it")
        elsewhere = await s.scalar(
            select(Membership.account_id)
            .where(Membership.user_id == user_id, Membership.account_id != account_id)
            .order_by(Membership.created_at)
            .limit(1)
        )
        if elsewhere is None:
            raise Invalid("This is your only workspace: create or join another before deleting it")
        account = await s.get(Account, account_id)
        assert account is not None
        names = list(
            await s.scalars(select(StoredFile.storage_name).where(StoredFile.account_id == account_id))
        )
        running = await running_conversations(s, account_id)
        members = list(await s.scalars(select(Membership.user_id).where(Membership.account_id == account_id)))
        for member_id in members:  # land each member whose current account this was elsewhere
            other = await s.scalar(
                select(Membership.account_id)
                .where(Membership.user_id == member_id, Membership.account_id != account_id)
                .order_by(Membership.created_at)
                .limit(1)
            )
            await s.execute(
                update(User)
                .where(User.id == member_id, User.current_account_id == account_id)
                .values(current_account_id=other)
            )
        audit.record(
            s,
            account_id=account_id,
            user_id=user_id,
            action="account.delete",
            resource_type="account",
            resource_id=account_id,
            changes={"name": {"before": account.name, "after": None}, "members": len(members)},
        )
        await s.execute(delete(Account).where(Account.id == account_id))
        return Deleted(account_id, account.name, names, running)

    return await db.run_write(run, retry_conflicts=True)


async def invite_details(session: AsyncSession, invitation_id: str) -> dict[str, Any]:
    """What the public acceptance page shows about an invitation; 404 when there is none. The
    invitation id is a random 128-bit value that only the invitee's email carries."""
    inv = await session.get(Invitation, invitation_id)
    if inv is None:
        raise NotFound("Invitation not found")
    account = await session.get(Account, inv.account_id)
    inviter = await session.get(User, inv.invited_by) if inv.invited_by else None
    return {
        "id": inv.id,
        "email": inv.email,
        "role": inv.role.lower(),
        "status": invite_status(inv),
        "workspace": {"name": account.name if account else ""},
        "invited_by": {"name": inviter.name, "email": inviter.email} if inviter else None,
        "created_at": iso(inv.created_at),
        "expires_at": iso(invite_expires_at(inv.created_at)),
    }
