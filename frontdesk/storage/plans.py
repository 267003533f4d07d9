"""Plan limits from the billing seed (helpers, connections, executions, team members per plan) and
the account's usage against them. `check(...)` raises a 403 that names the limit.

Limits apply when `Settings.enforce_plan_limits` is on (a server that sells plans); a self-hosted
server leaves it off and only reports usage. `max_executions` counts the executions the account
queued in the current billing period (the same count `usage` reports): the Stripe subscription's
period when a webhook told its start (`account_billing.period_start`, carried forward a month at a
time), else the calendar month in UTC."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Forbidden
from frontdesk.storage.helper_models import Execution, Helper
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Account, Connection, Membership
from frontdesk.storage.team_models import AccountBilling, Invitation
from frontdesk.storage.workspaces import INVITE_TTL

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
        .where(
            Invitation.account_id == account_id,
            Invitation.status == "pending",
            Invitation.created_at > utcnow() - INVITE_TTL,
        )
    )
    return int(members or 0) + int(pending or 0)


def _naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None) if dt.tzinfo else dt


def _months_after(dt: datetime, k: int) -> datetime:
    """`dt` moved `k` calendar months on, the day kept (or the month's last day), as Stripe does."""
    year, month = divmod(dt.month - 1 + k, 12)
    year, month = dt.year + year, month + 1
    return dt.replace(year=year, month=month, day=min(dt.day, calendar.monthrange(year, month)[1]))


def current_period_start(anchor: datetime | None, now: datetime | None = None) -> datetime:
    """The start (UTC) of the billing period `now` falls in: monthly periods from the
    subscription's `anchor`, or the first of the calendar month without one."""
    now = _naive_utc(now or utcnow())
    if anchor is None:
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).replace(tzinfo=UTC)
    first = _naive_utc(anchor)
    if first > now:  # a period that starts later (clock skew): count from the calendar month
        return current_period_start(None, now)
    k = (now.year - first.year) * 12 + now.month - first.month
    while k > 0 and _months_after(first, k) > now:
        k -= 1
    return _months_after(first, k).replace(tzinfo=UTC)


async def period_start(session: AsyncSession, account_id: str) -> datetime:
    billing = await session.get(AccountBilling, account_id)
    return current_period_start(billing.period_start if billing else None)


async def usage(session: AsyncSession, account_id: str) -> dict[str, int]:
    async def count(model: Any, *extra: Any) -> int:
        where = (model.account_id == account_id, *extra)
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    return {
        "helpers_count": await count(Helper, Helper.status != "deleted"),
        "connections_count": await count(Connection, Connection.platform != "native"),
        "executions_count": await count(
            Execution, Execution.created_at >= await period_start(session, account_id)
        ),
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
