"""Invitations after they are made (`teams.invite` makes them): accepting them (on registering with
the invited email, or MIA's accept route), listing the pending ones of an account or an email, and
revoking one. Each change writes its audit entry in the same transaction; an invitation expires
`INVITE_TTL` after it was made."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, NotFound
from frontdesk.storage import audit
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Membership, User
from frontdesk.storage.team_models import Invitation
from frontdesk.storage.teams import Actor, invitation_public, require_manager
from frontdesk.storage.workspaces import INVITE_TTL, invite_status
from frontdesk.types import ROLE_PERMISSIONS


async def accept_invitations(db: Database, user_id: str, email: str) -> list[str]:
    """Turn the pending invitations of `email` into memberships (called when that email registers).
    Returns the account ids joined."""
    email = email.strip().lower()

    async def run(s: AsyncSession) -> list[str]:
        invites = list(
            await s.scalars(
                select(Invitation).where(
                    Invitation.email == email,
                    Invitation.status == "pending",
                    Invitation.created_at > utcnow() - INVITE_TTL,
                )
            )
        )
        joined = []
        for inv in invites:
            exists = await s.scalar(
                select(Membership.id).where(
                    Membership.account_id == inv.account_id, Membership.user_id == user_id
                )
            )
            if not exists:
                s.add(
                    Membership(
                        account_id=inv.account_id,
                        user_id=user_id,
                        role=inv.role,
                        permissions=sorted(ROLE_PERMISSIONS[inv.role]),
                    )
                )
                joined.append(inv.account_id)
            inv.status, inv.accepted_at = "accepted", utcnow()
            audit.record(
                s,
                account_id=inv.account_id,
                user_id=user_id,
                action="member.join",
                resource_type="member",
                resource_id=user_id,
                changes={"role": {"before": None, "after": inv.role}, "invitation_id": inv.id},
            )
        return joined

    return await db.run_write(run, retry_conflicts=True)


async def accept_invitation(db: Database, invitation_id: str, user_id: str) -> dict[str, Any]:
    """Accept one invitation as the signed-in user, whose email must be the invited one (MIA's
    `POST /api/tenants/invites/{id}/accept`). Someone else's invitation is a 404."""

    async def run(s: AsyncSession) -> dict[str, Any]:
        inv = await s.get(Invitation, invitation_id)
        user = await s.get(User, user_id)
        if inv is None or user is None or inv.email != user.email or inv.status != "pending":
            raise NotFound("Invitation not found")
        if invite_status(inv) == "expired":
            raise Invalid("This invitation has expired: ask for a new one")
        if not await s.scalar(
            select(Membership.id).where(
                Membership.account_id == inv.account_id, Membership.user_id == user_id
            )
        ):
            s.add(
                Membership(
                    account_id=inv.account_id,
                    user_id=user_id,
                    role=inv.role,
                    permissions=sorted(ROLE_PERMISSIONS[inv.role]),
                )
            )
        inv.status, inv.accepted_at = "accepted", utcnow()
        audit.record(
            s,
            account_id=inv.account_id,
            user_id=user_id,
            action="member.join",
            resource_type="member",
            resource_id=user_id,
            changes={"role": {"before": None, "after": inv.role}, "invitation_id": inv.id},
        )
        return invitation_public(inv)

    return await db.run_write(run, retry_conflicts=True)


async def pending_for_account(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Invitation)
        .where(
            Invitation.account_id == account_id,
            Invitation.status == "pending",
            Invitation.created_at > utcnow() - INVITE_TTL,
        )
        .order_by(Invitation.created_at)
    )
    return [invitation_public(i) for i in rows]


async def pending_for_email(session: AsyncSession, email: str) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Invitation)
        .where(
            Invitation.email == email.strip().lower(),
            Invitation.status == "pending",
            Invitation.created_at > utcnow() - INVITE_TTL,
        )
        .order_by(Invitation.created_at)
    )
    return [invitation_public(i) for i in rows]


async def revoke_invitation(
    db: Database, actor: Actor, account_id: str, invitation_id: str
) -> dict[str, Any]:
    """Withdraw a pending invitation of the account (another account's, or a used one: 404)."""

    async def run(s: AsyncSession) -> dict[str, Any]:
        await require_manager(s, account_id, actor.user_id)
        inv = await s.get(Invitation, invitation_id)
        if inv is None or inv.account_id != account_id or inv.status != "pending":
            raise NotFound("Invitation not found")
        inv.status = "revoked"
        audit.record(
            s,
            account_id=account_id,
            user_id=actor.user_id,
            action="member.invite_revoke",
            resource_type="invitation",
            resource_id=inv.id,
            changes={"status": {"before": "pending", "after": "revoked"}},
        )
        return invitation_public(inv)

    return await db.run_write(run, retry_conflicts=True)
