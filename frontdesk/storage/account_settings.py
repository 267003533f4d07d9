"""The accounts a user belongs to, seen from that user: list, details (settings, usage), rename,
switch, and the user's notification preferences. Only accounts the user is a member of are
visible; any other id is a 404."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict, Forbidden, Invalid, NotFound
from frontdesk.storage import audit, plans
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DEMO_EMAIL
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.models import Account, Connection, Membership, User
from frontdesk.storage.read_cache import ReadCache
from frontdesk.storage.team_models import AccountSettings, UserPreferences
from frontdesk.types import ROLE_PERMISSIONS

DEFAULT_PREFERENCES: dict[str, bool] = {
    "execution_failures": True,
    "connection_issues": True,
    "usage_alerts": True,
    "weekly_summary": False,
    "new_features": True,
    "team_activity": False,
    "realtime_status": False,
    "ai_insights": True,
    "system_maintenance": True,
}


async def memberships(session: AsyncSession, user_id: str) -> list[tuple[Membership, Account]]:
    rows = await session.execute(
        select(Membership, Account)
        .join(Account, Account.id == Membership.account_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at, Membership.id)
    )
    return [(m, a) for m, a in rows.all()]


async def list_accounts(session: AsyncSession, user: User, current_account_id: str) -> dict[str, Any]:
    out = []
    for m, a in await memberships(session, user.id):
        extra = await session.get(AccountSettings, a.id)
        out.append(
            {
                "account_id": a.id,
                "name": a.name,
                "company": extra.company if extra else None,
                "plan": a.plan,
                "status": a.status,
                "user_role": m.role,
                "user_status": user.status,
                "is_current": a.id == current_account_id,
                "linked_at": iso(m.created_at),
                "updated_at": iso(extra.updated_at if extra else a.created_at),
            }
        )
    return {"accounts": out, "total_count": len(out), "current_account_id": current_account_id}


async def available_accounts(
    session: AsyncSession, user_id: str, current_account_id: str
) -> list[dict[str, Any]]:
    return [
        {
            "account_id": a.id,
            "account_name": a.name,
            "role": m.role,
            "permissions": sorted(m.permissions or []),
            "is_current": a.id == current_account_id,
        }
        for m, a in await memberships(session, user_id)
    ]


async def _visible(session: AsyncSession, account_id: str, user_id: str) -> tuple[Account, Membership]:
    row = (
        await session.execute(
            select(Account, Membership)
            .join(Membership, Membership.account_id == Account.id)
            .where(Account.id == account_id, Membership.user_id == user_id)
        )
    ).first()
    if row is None:
        raise NotFound("Account not found")
    return row[0], row[1]


async def account_detail(session: AsyncSession, account_id: str, user_id: str) -> dict[str, Any]:
    account, _ = await _visible(session, account_id, user_id)
    extra = await session.get(AccountSettings, account_id)
    return {
        "account_id": account.id,
        "name": account.name,
        "company": extra.company if extra else None,
        "plan": account.plan,
        "status": account.status,
        "settings": plans.limits(account.plan) | dict(extra.settings if extra else {}),
        "usage": await plans.usage(session, account_id),
        "created_at": iso(account.created_at),
        "updated_at": iso(extra.updated_at if extra else account.created_at),
    }


def check_timezone(name: str) -> str:
    """An IANA zone name (`Europe/Lisbon`), or 400."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise Invalid(f"timezone: unknown time zone {name!r} (use an IANA name such as Europe/Lisbon)") from e
    return name


async def account_timezone(session: AsyncSession, account_id: str) -> str | None:
    """The account's time zone (`PUT /accounts/{id}` `timezone`), None when never set."""
    extra = await session.get(AccountSettings, account_id)
    found = (extra.settings or {}).get("timezone") if extra else None
    return found if isinstance(found, str) else None


APPROVE_WRITES = "approve_writes"  # `settings` key: chat, SMS and Teams ask before a write tool runs
SETTINGS_TTL_SECONDS = 2.0
_approve_writes: ReadCache[bool] = ReadCache(
    "approve_writes", watches=(AccountSettings, Membership, User), ttl=SETTINGS_TTL_SECONDS
)


async def approve_writes(db: Database, account_id: str) -> bool:
    """The account's `approve_writes` setting (`agent/approval.py`); unset, on, except for the demo
    account (the one `DEMO_EMAIL` belongs to). Every chat, SMS and Teams turn reads it, so it is kept
    per process (`storage.read_cache`): cleared by this process's writes to account settings,
    memberships or users, at most `SETTINGS_TTL_SECONDS` stale for another process's."""
    return await _approve_writes.get((db.url, account_id), lambda: _read_approve_writes(db, account_id))


async def _read_approve_writes(db: Database, account_id: str) -> bool:
    async with db.session() as s:
        extra = await s.get(AccountSettings, account_id)
        value = (extra.settings or {}).get(APPROVE_WRITES) if extra else None
        if value is not None:
            return bool(value)
        demo = await s.scalar(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.account_id == account_id, User.email == DEMO_EMAIL)
        )
    return demo is None


async def update_account(
    db: Database,
    account_id: str,
    user_id: str,
    *,
    name: str | None,
    company: str | None,
    timezone: str | None = None,
    approve_writes: bool | None = None,
) -> dict[str, Any]:
    """Rename the account, set its company, its time zone (the default of its scheduled jobs) or
    `approve_writes` (chat, SMS and Teams ask before writing: `agent/approval.py`); the Owner and
    Admins may (`can_manage_team`)."""
    if timezone is not None:
        check_timezone(timezone)

    async def run(s: AsyncSession) -> dict[str, Any]:
        account, m = await _visible(s, account_id, user_id)
        if "can_manage_team" not in (m.permissions or []):
            raise Forbidden("Permission 'can_manage_team' is required")
        extra = await s.get(AccountSettings, account_id)
        if extra is None:
            extra = AccountSettings(account_id=account_id, company=None, settings={})
            s.add(extra)
        settings = dict(extra.settings or {})
        before = {
            "name": account.name,
            "company": extra.company,
            "timezone": settings.get("timezone"),
            "approve_writes": settings.get("approve_writes"),
        }
        if name is not None:
            account.name = name
        if company is not None:
            extra.company = company
        if timezone is not None:
            settings["timezone"] = timezone
        if approve_writes is not None:
            settings["approve_writes"] = approve_writes
        extra.settings = settings
        extra.updated_at = utcnow()
        after = {
            "name": account.name,
            "company": extra.company,
            "timezone": settings.get("timezone"),
            "approve_writes": settings.get("approve_writes"),
        }
        audit.record(
            s,
            account_id=account_id,
            user_id=user_id,
            action="account.update",
            resource_type="account",
            resource_id=account_id,
            changes=audit.diff(before, after),
        )
        return {
            "account_id": account_id,
            "name": account.name,
            "company": extra.company,
            "timezone": after["timezone"],
            "approve_writes": after["approve_writes"],
            "updated_at": iso(extra.updated_at),
        }

    return await db.run_write(run, retry_conflicts=True)


async def switch_account(db: Database, user_id: str, account_id: str) -> None:
    """Make `account_id` the user's current account; 403 without a membership there (seed)."""

    async def run(s: AsyncSession) -> None:
        m = await s.scalar(
            select(Membership).where(Membership.user_id == user_id, Membership.account_id == account_id)
        )
        if m is None:
            raise Forbidden("No access to this account")
        user = await s.get(User, user_id)
        assert user is not None
        before = user.current_account_id
        user.current_account_id = account_id
        audit.record(
            s,
            account_id=account_id,
            user_id=user_id,
            action="account.switch",
            resource_type="user",
            resource_id=user_id,
            changes=audit.diff({"current_account_id": before}, {"current_account_id": account_id}),
        )

    await db.run_write(run, retry_conflicts=True)


async def get_preferences(session: AsyncSession, user_id: str) -> dict[str, bool]:
    row = await session.get(UserPreferences, user_id)
    return DEFAULT_PREFERENCES | (row.preferences if row else {})


async def set_preferences(db: Database, user_id: str, changes: dict[str, bool]) -> dict[str, bool]:
    async def run(s: AsyncSession) -> dict[str, bool]:
        row = await s.get(UserPreferences, user_id)
        if row is None:
            row = UserPreferences(user_id=user_id, preferences={})
            s.add(row)
        row.preferences = dict(row.preferences or {}) | changes
        row.updated_at = utcnow()
        return DEFAULT_PREFERENCES | row.preferences

    return await db.run_write(run, retry_conflicts=True)


async def update_profile(
    db: Database, user_id: str, account_id: str, *, name: str | None, email: str | None
) -> User:
    """Set the user's name and/or email (409 when another user has that email)."""

    async def run(s: AsyncSession) -> User:
        user = await s.get(User, user_id)
        if user is None:
            raise NotFound("User not found")
        before = {"name": user.name, "email": user.email}
        if email is not None and email.strip().lower() != user.email:
            clean = email.strip().lower()
            if await s.scalar(select(User.id).where(User.email == clean, User.id != user_id)):
                raise Conflict("Email already registered")
            user.email = clean
        if name is not None:
            user.name = name
        user.updated_at = utcnow()
        changes = audit.diff(before, {"name": user.name, "email": user.email})
        if changes:
            audit.record(
                s,
                account_id=account_id,
                user_id=user_id,
                action="profile.update",
                resource_type="user",
                resource_id=user_id,
                changes=changes,
            )
        return user

    return await db.run_write(run, retry_conflicts=True)


async def create_account(db: Database, user_id: str, name: str) -> tuple[Account, Membership]:
    """A new account (MIA's workspace) owned by the user, with its built-in CRM connection."""

    async def run(s: AsyncSession) -> tuple[Account, Membership]:
        account = Account(id=new_id("account"), name=name)
        s.add(account)
        await s.flush()
        m = Membership(
            account_id=account.id,
            user_id=user_id,
            role="Owner",
            permissions=sorted(ROLE_PERMISSIONS["Owner"]),
        )
        s.add(m)
        s.add(Connection(id=new_id("conn"), account_id=account.id, platform="native", name="frontdesk CRM"))
        await s.flush()
        audit.record(
            s,
            account_id=account.id,
            user_id=user_id,
            action="account.create",
            resource_type="account",
            resource_id=account.id,
            changes={"name": {"before": None, "after": name}},
        )
        return account, m

    return await db.run_write(run, retry_conflicts=True)
