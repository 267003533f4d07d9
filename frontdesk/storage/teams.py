"""Members of an account: list, invite (an existing user joins at once; an unregistered email gets
an invitation it accepts by registering), change a role, remove. Each change writes its audit entry
(resource type `member`, the member's user id) in the same transaction.

Rules (MyFusion seed): the actor needs `can_manage_team` in that account; the Owner's role cannot be
changed and the Owner cannot be removed (403); nobody removes themselves (400); a member or a
pending invitation for the email is a 409. A removed member's refresh tokens for the account are
revoked, and their access tokens stop working on the next request (`load_identity` reads the
membership every time).

Every write runs in `Database.run_write(..., retry_conflicts=True)`: a concurrent invitation of the
same email (a unique clash on PostgreSQL) runs again, sees the other one and answers 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict, Forbidden, Invalid, NotFound
from frontdesk.storage import audit, outbox, plans
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.models import Account, Membership, RefreshToken, User
from frontdesk.storage.team_models import Invitation
from frontdesk.storage.workspaces import INVITE_TTL, invite_expires_at, invite_status
from frontdesk.types import ROLE_PERMISSIONS

INVITABLE_ROLES = {"admin": "Admin", "member": "Member", "viewer": "Viewer"}


def role_name(role: str) -> str:
    """`admin` / `Admin` -> `Admin`; Owner is not given by invitation."""
    found = INVITABLE_ROLES.get(role.strip().lower())
    if found is None:
        raise Invalid("role must be one of admin, member, viewer")
    return found


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts on a team: the user, whether SMTP sends their emails, and whether plan limits
    apply (`Settings.enforce_plan_limits`)."""

    user_id: str
    smtp: bool = False
    enforce_limits: bool = False


async def membership_of(
    session: AsyncSession, account_id: str, user_id: str, missing: str = "Account not found"
) -> Membership:
    """The user's membership in the account; 404 (`missing`) when there is none (no existence leaks)."""
    m = await session.scalar(
        select(Membership).where(Membership.account_id == account_id, Membership.user_id == user_id)
    )
    if m is None:
        raise NotFound(missing)
    return m


async def require_manager(session: AsyncSession, account_id: str, user_id: str) -> Account:
    m = await membership_of(session, account_id, user_id)
    if "can_manage_team" not in (m.permissions or []):
        raise Forbidden("Permission 'can_manage_team' is required")
    account = await session.get(Account, account_id)
    assert account is not None
    return account


async def list_members(session: AsyncSession, account_id: str) -> dict[str, Any]:
    rows = (
        await session.execute(
            select(Membership, User)
            .join(User, User.id == Membership.user_id)
            .where(Membership.account_id == account_id)
            .order_by(Membership.created_at, Membership.id)
        )
    ).all()
    members = [member_public(m, u) for m, u in rows]
    invites = await session.scalars(
        select(Invitation)
        .where(
            Invitation.account_id == account_id,
            Invitation.status == "pending",
            Invitation.created_at > utcnow() - INVITE_TTL,
        )
        .order_by(Invitation.created_at)
    )
    return {
        "members": members,
        "invitations": [invitation_public(i) for i in invites],
        "total_count": len(members),
    }


def member_public(m: Membership, u: User) -> dict[str, Any]:
    return {
        "user_id": u.id,
        "email": u.email,
        "name": u.name,
        "role": m.role,
        "status": u.status,
        "permissions": sorted(m.permissions or []),
        "linked_at": iso(m.created_at),
    }


def invitation_public(i: Invitation) -> dict[str, Any]:
    return {
        "invitation_id": i.id,
        "account_id": i.account_id,
        "email": i.email,
        "role": i.role,
        "status": invite_status(i),
        "invited_by": i.invited_by,
        "created_at": iso(i.created_at),
        "expires_at": iso(invite_expires_at(i.created_at)),
    }


async def invite(db: Database, actor: Actor, account_id: str, email: str, role: str) -> dict[str, Any]:
    """Add a registered user to the account at once, or leave an invitation for an unregistered
    email; either way a `team_invite` email goes out. Returns the seed's answer plus `invitation_id`
    (None when the user joined at once) and the queued email's id."""
    email, role = email.strip().lower(), role_name(role)

    async def run(s: AsyncSession) -> dict[str, Any]:
        account = await require_manager(s, account_id, actor.user_id)
        inviter = await s.get(User, actor.user_id)
        user = await s.scalar(select(User).where(User.email == email))
        if user is not None and await s.scalar(
            select(Membership.id).where(Membership.account_id == account_id, Membership.user_id == user.id)
        ):
            raise Conflict("Already a member of this account")
        await s.execute(  # an invitation past its 7 days no longer blocks a new one
            update(Invitation)
            .where(
                Invitation.account_id == account_id,
                Invitation.email == email,
                Invitation.status == "pending",
                Invitation.created_at <= utcnow() - INVITE_TTL,
            )
            .values(status="expired")
        )
        if await s.scalar(
            select(Invitation.id).where(
                Invitation.account_id == account_id, Invitation.email == email, Invitation.status == "pending"
            )
        ):
            raise Conflict("Already invited to this account")
        if actor.enforce_limits:
            await plans.check(s, account_id, "max_team_members")
        out: dict[str, Any] = {"email": email, "role": role, "invitation_id": None}
        if user is not None:
            s.add(
                Membership(
                    account_id=account_id,
                    user_id=user.id,
                    role=role,
                    permissions=sorted(ROLE_PERMISSIONS[role]),
                )
            )
            out |= {"user_id": user.id, "status": "active"}
            audit.record(
                s,
                account_id=account_id,
                user_id=actor.user_id,
                action="member.add",
                resource_type="member",
                resource_id=user.id,
                changes={"role": {"before": None, "after": role}},
            )
        else:
            # A revoked or accepted invitation makes room; a pending one a concurrent invite just
            # committed stays, so this insert breaks the unique constraint and the retry answers 409.
            await s.execute(
                delete(Invitation).where(
                    Invitation.account_id == account_id,
                    Invitation.email == email,
                    Invitation.status != "pending",
                )
            )
            inv = Invitation(
                id=new_id("invitation"),
                account_id=account_id,
                email=email,
                role=role,
                status="pending",
                invited_by=actor.user_id,
                created_at=utcnow(),
            )
            s.add(inv)
            out |= {"user_id": None, "status": "invited", "invitation_id": inv.id}
            audit.record(
                s,
                account_id=account_id,
                user_id=actor.user_id,
                action="member.invite",
                resource_type="invitation",
                resource_id=inv.id,
                changes={"email": {"before": None, "after": email}, "role": {"before": None, "after": role}},
            )
        mail = outbox.render(
            "team_invite",
            email,
            inviter=inviter.name if inviter else "A colleague",
            account=account.name,
            role=role.lower(),
        )
        out["email_id"] = outbox.queue(s, mail, account_id, smtp=actor.smtp).id
        return out

    return await db.run_write(run, retry_conflicts=True)


async def change_role(db: Database, actor: Actor, account_id: str, user_id: str, role: str) -> dict[str, Any]:
    role = role_name(role)

    async def run(s: AsyncSession) -> dict[str, Any]:
        await require_manager(s, account_id, actor.user_id)
        target = await membership_of(s, account_id, user_id, "Member not found")
        if target.role == "Owner":
            raise Forbidden("The account owner's role cannot be changed")
        before = target.role
        target.role, target.permissions = role, sorted(ROLE_PERMISSIONS[role])
        audit.record(
            s,
            account_id=account_id,
            user_id=actor.user_id,
            action="member.update",
            resource_type="member",
            resource_id=user_id,
            changes=audit.diff({"role": before}, {"role": role}),
        )
        return {"user_id": user_id, "role": role}

    return await db.run_write(run, retry_conflicts=True)


async def remove(db: Database, actor: Actor, account_id: str, user_id: str) -> dict[str, Any]:
    async def run(s: AsyncSession) -> dict[str, Any]:
        await require_manager(s, account_id, actor.user_id)
        if user_id == actor.user_id:
            raise Invalid("You cannot remove yourself from the account")
        target = await membership_of(s, account_id, user_id, "Member not found")
        if target.role == "Owner":
            raise Forbidden("The account owner cannot be removed")
        role = target.role
        await s.execute(delete(Membership).where(Membership.id == target.id))
        await s.execute(
            update(RefreshToken)
            .where(
                RefreshToken.user_id == user_id,
                RefreshToken.account_id == account_id,
                RefreshToken.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        await _move_current_account(s, user_id, account_id)
        audit.record(
            s,
            account_id=account_id,
            user_id=actor.user_id,
            action="member.remove",
            resource_type="member",
            resource_id=user_id,
            changes={"role": {"before": role, "after": None}},
        )
        return {"user_id": user_id}

    return await db.run_write(run, retry_conflicts=True)


async def _move_current_account(s: AsyncSession, user_id: str, left_account_id: str) -> None:
    """A user whose current account they just left lands in another account of theirs (if any)."""
    user = await s.get(User, user_id)
    if user is None or user.current_account_id != left_account_id:
        return
    other = await s.scalar(
        select(Membership.account_id).where(Membership.user_id == user_id).order_by(Membership.created_at)
    )
    user.current_account_id = other
