"""Plan limits from the billing seed (helpers, connections, executions, team members per plan) and
the account's usage against them. `check(...)` raises a 403 that names the limit.

Limits apply when `Settings.enforce_plan_limits` is on (a server that sells plans); a self-hosted
server leaves it off and only reports usage. `max_executions` counts every execution the account
has queued (the same count `usage` reports)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Forbidden
from frontdesk.storage.helper_models import Execution, Helper
from frontdesk.storage.models import Account, Connection, Membership
from frontdesk.storage.team_models import Invitation

PLAN_LIMITS: dict[str, dict[str, int | None]] = {  # None = unlimited
    "free": {"max_helpers": 3, "max_connections": 1, "max_executions": 1_000, "max_team_members": 3},
    "start": {"max_helpers": 10, "max_connections": 2, "max_executions": 10_000, "max_team_members": 5},
    "grow": {"max_helpers": 50, "max_connections": 5, "max_executions": 50_000, "max_team_members": 10},
    "deliver": {
        "max_helpers": None,
        "max_connections": 20,
        "max_executions": 500_000,
        "max_team_members": 50,
    },
}


def limits(plan: str) -> dict[str, int | None]:
    return PLAN_LIMITS.get(plan, PLAN_LIMITS["free"])


async def team_size(session: AsyncSession, account_id: str) -> int:
    """Members plus pending invitations: an invitation holds a seat."""
    members = await session.scalar(
        select(func.count()).select_from(Membership).where(Membership.account_id == account_id)
    )
    pending = await session.scalar(
        select(func.count())
        .select_from(Invitation)
        .where(Invitation.account_id == account_id, Invitation.status == "pending")
    )
    return int(members or 0) + int(pending or 0)


async def usage(session: AsyncSession, account_id: str) -> dict[str, int]:
    async def count(model: Any, *extra: Any) -> int:
        where = (model.account_id == account_id, *extra)
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    return {
        "helpers_count": await count(Helper, Helper.status != "deleted"),
        "connections_count": await count(Connection, Connection.platform != "native"),
        "executions_count": await count(Execution),
        "team_members_count": await team_size(session, account_id),
    }


_USAGE_OF = {
    "max_helpers": "helpers_count",
    "max_connections": "connections_count",
    "max_executions": "executions_count",
    "max_team_members": "team_members_count",
}


async def check(session: AsyncSession, account_id: str, limit_name: str) -> None:
    """403 `plan_limit`, naming the limit, when the account has no room for one more of it
    (helpers, connections other than the built-in CRM, executions, members plus pending
    invitations)."""
    account = await session.get(Account, account_id)
    if account is None:
        return
    limit = limits(account.plan)[limit_name]
    used = (await usage(session, account_id))[_USAGE_OF[limit_name]]
    if limit is not None and used >= limit:
        raise Forbidden(
            f"Plan limit reached: {limit_name} is {limit} on the '{account.plan}' plan", code="plan_limit"
        )
