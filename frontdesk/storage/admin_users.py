"""Mezzofy's user administration, scoped to one account: list its users, create one (a member of
the account), change role, department, permissions or active status. Every change writes its audit
entry in the same transaction.

Deactivating a user ends their sessions at once (refresh tokens revoked; access tokens fail on the
next request because `load_identity` requires an active user). Because a user is global, an account
admin may deactivate only users who belong to no other account; the others are removed from the
team instead (403 says so). An operator (`users.is_operator`, set only from the command line with
`frontdesk admin grant|revoke`, see `set_operator`) counts as an admin in every account they are in.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict, Forbidden, Invalid, NotFound
from frontdesk.security import hash_password
from frontdesk.storage import audit, plans
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.models import Membership, RefreshToken, User
from frontdesk.storage.passwords import check_policy
from frontdesk.storage.teams import role_name
from frontdesk.types import PERMISSIONS, ROLE_PERMISSIONS

ADMIN_ROLES = frozenset({"Owner", "Admin"})


def user_public(u: User, m: Membership) -> dict[str, Any]:
    return {
        "id": u.id,
        "email": u.email,
        "name": u.name,
        "department": u.department,
        "role": m.role,
        "permissions": sorted(m.permissions or []),
        "is_active": u.status == "active",
        "created_at": iso(u.created_at),
    }


async def list_users(
    session: AsyncSession, account_id: str, *, department: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    conds = [Membership.account_id == account_id]
    if department:
        conds.append(User.department == department)
    base = select(Membership, User).join(User, User.id == Membership.user_id).where(*conds)
    total = await session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = await session.execute(
        base.order_by(Membership.created_at, Membership.id).limit(limit).offset(offset)
    )
    return [user_public(u, m) for m, u in rows.all()], total


def _permissions(values: list[str]) -> list[str]:
    unknown = sorted(set(values) - set(PERMISSIONS))
    if unknown:
        raise Invalid(f"Unknown permissions: {', '.join(unknown)}; known: {', '.join(PERMISSIONS)}")
    return sorted(set(values))


async def create_user(
    db: Database,
    actor_id: str,
    account_id: str,
    *,
    email: str,
    name: str,
    password: str,
    department: str | None,
    role: str,
    permissions: list[str] | None,
    enforce_limits: bool = False,
) -> dict[str, Any]:
    email = email.strip().lower()
    role = role_name(role)
    check_policy(password)
    granted = _permissions(permissions) if permissions else sorted(ROLE_PERMISSIONS[role])
    password_hash = await asyncio.to_thread(hash_password, password)

    async def run(s: AsyncSession) -> dict[str, Any]:
        if await s.scalar(select(User.id).where(User.email == email)):
            raise Conflict("Email already registered")
        if enforce_limits:
            await plans.check(s, account_id, "max_team_members")
        user = User(
            id=new_id("user"),
            email=email,
            name=name,
            password_hash=password_hash,
            department=department,
            current_account_id=account_id,
        )
        s.add(user)
        await s.flush()
        m = Membership(account_id=account_id, user_id=user.id, role=role, permissions=granted)
        s.add(m)
        await s.flush()
        audit.record(
            s,
            account_id=account_id,
            user_id=actor_id,
            action="user.create",
            resource_type="member",
            resource_id=user.id,
            changes={"email": {"before": None, "after": email}, "role": {"before": None, "after": role}},
        )
        return user_public(user, m)

    return await db.run_write(run, retry_conflicts=True)


async def update_user(
    db: Database,
    actor_id: str,
    account_id: str,
    user_id: str,
    *,
    role: str | None,
    department: str | None,
    permissions: list[str] | None,
    is_active: bool | None,
) -> dict[str, Any]:
    new_role = role_name(role) if role is not None else None
    granted = _permissions(permissions) if permissions is not None else None

    async def run(s: AsyncSession) -> dict[str, Any]:
        m = await s.scalar(
            select(Membership).where(Membership.account_id == account_id, Membership.user_id == user_id)
        )
        user = await s.get(User, user_id)
        if m is None or user is None:
            raise NotFound("User not found")
        before = {
            "role": m.role,
            "department": user.department,
            "permissions": sorted(m.permissions or []),
            "is_active": user.status == "active",
        }
        if m.role == "Owner" and (new_role is not None or granted is not None or is_active is False):
            raise Forbidden("The account owner's role, permissions and status cannot be changed")
        if user_id == actor_id and is_active is False:
            raise Invalid("You cannot deactivate yourself")
        if new_role is not None:
            m.role, m.permissions = new_role, sorted(ROLE_PERMISSIONS[new_role])
        if granted is not None:
            m.permissions = granted
        if department is not None:
            user.department = department
        if is_active is not None and is_active != (user.status == "active"):
            await _set_active(s, user, account_id, is_active)
        user.updated_at = utcnow()
        after = {
            "role": m.role,
            "department": user.department,
            "permissions": sorted(m.permissions or []),
            "is_active": user.status == "active",
        }
        audit.record(
            s,
            account_id=account_id,
            user_id=actor_id,
            action="user.update",
            resource_type="member",
            resource_id=user_id,
            changes=audit.diff(before, after),
        )
        return user_public(user, m)

    return await db.run_write(run, retry_conflicts=True)


async def _set_active(s: AsyncSession, user: User, account_id: str, active: bool) -> None:
    elsewhere = await s.scalar(
        select(func.count())
        .select_from(Membership)
        .where(Membership.user_id == user.id, Membership.account_id != account_id)
    )
    if elsewhere:
        raise Forbidden("This user belongs to other accounts too: remove them from the team instead")
    user.status = "active" if active else "inactive"
    if not active:  # sessions end now: no refresh; access tokens fail on the user's status
        await s.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


async def set_operator(db: Database, email: str, on: bool) -> User:
    """Mark (or unmark) the user with `email` an operator; audited in their current account."""

    async def run(s: AsyncSession) -> User:
        user = await s.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise NotFound(f"No user {email}")
        before = {"is_operator": user.is_operator}
        user.is_operator = on
        audit.record(
            s,
            account_id=user.current_account_id,
            user_id=None,  # the command line: no acting user
            action="operator.grant" if on else "operator.revoke",
            resource_type="user",
            resource_id=user.id,
            changes=audit.diff(before, {"is_operator": on}),
        )
        return user

    return await db.run_write(run)


def is_admin(user: User, membership: Membership) -> bool:
    """Whether the user administers the membership's account: its Owner or an Admin, or an operator."""
    return membership.role in ADMIN_ROLES or user.is_operator
