"""What only an operator (`users.is_operator`, set with `frontdesk admin grant`) may do: list every
account of the server, and enter one they are not a member of. Entering adds them as an `Admin`
member (so the account's own admins see them in the team and in the audit log, as
`operator.enter`), after which they switch to it like any member; removing them from the team
undoes it. Nobody else may: 403."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Forbidden, NotFound
from frontdesk.storage import audit
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso
from frontdesk.storage.models import Account, Membership, User
from frontdesk.types import ROLE_PERMISSIONS


async def require_operator(session: AsyncSession, user_id: str) -> User:
    user = await session.get(User, user_id)
    if user is None or not user.is_operator:
        raise Forbidden("Operators only (set with `frontdesk admin grant`)")
    return user


async def list_accounts(
    session: AsyncSession, user_id: str, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """Every account, oldest first, with its member count and whether the operator is in it."""
    await require_operator(session, user_id)
    members = (
        select(Membership.account_id, func.count().label("n")).group_by(Membership.account_id).subquery()
    )
    mine = set(await session.scalars(select(Membership.account_id).where(Membership.user_id == user_id)))
    rows = (
        await session.execute(
            select(Account, members.c.n)
            .outerjoin(members, members.c.account_id == Account.id)
            .order_by(Account.created_at, Account.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    total = int(await session.scalar(select(func.count()).select_from(Account)) or 0)
    out = [
        {
            "account_id": a.id,
            "name": a.name,
            "plan": a.plan,
            "status": a.status,
            "member_count": int(n or 0),
            "is_member": a.id in mine,
            "created_at": iso(a.created_at),
        }
        for a, n in rows
    ]
    return out, total


async def enter_account(db: Database, user_id: str, account_id: str) -> str:
    """Make the operator an `Admin` member of the account (audited there); their role if they
    already were one. Returns the role."""

    async def run(s: AsyncSession) -> str:
        await require_operator(s, user_id)
        if await s.get(Account, account_id) is None:
            raise NotFound("Account not found")
        m = await s.scalar(
            select(Membership).where(Membership.account_id == account_id, Membership.user_id == user_id)
        )
        if m is not None:
            return m.role
        s.add(
            Membership(
                account_id=account_id,
                user_id=user_id,
                role="Admin",
                permissions=sorted(ROLE_PERMISSIONS["Admin"]),
            )
        )
        audit.record(
            s,
            account_id=account_id,
            user_id=user_id,
            action="operator.enter",
            resource_type="member",
            resource_id=user_id,
            changes={"role": {"before": None, "after": "Admin"}},
        )
        return "Admin"

    return await db.run_write(run, retry_conflicts=True)
