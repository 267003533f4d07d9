"""The audit trail: `record(...)` adds one entry to the caller's session, so it commits (or rolls
back) with the change it describes; `list_entries` and friends read it back, scoped to an account.

Where a request came from (IP, user agent) is known only at the door: the API sets it once per
request with `request_origin.set(...)` (see `api/audit_origin.py`) and `record` reads it, so the
storage functions that write changes need only the acting user's id. Work outside a request (the
helper worker, the CLI) records no origin.

`changes` holds before/after of the changed fields; fields named like secrets are dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.audit_models import AuditEntry
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.models import User

SECRET_WORDS = ("password", "secret", "token", "credential", "api_key", "code_hash", "key_hash")


@dataclass(frozen=True, slots=True)
class Origin:
    ip_address: str | None = None
    user_agent: str | None = None


request_origin: ContextVar[Origin] = ContextVar("request_origin", default=Origin())  # noqa: B039


def _clean(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {k: _clean(v) for k, v in value.items() if not is_secret(str(k))}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def is_secret(field: str) -> bool:
    return any(word in field.lower() for word in SECRET_WORDS)


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """`{field: {"before": …, "after": …}}` for each field whose value changed (secrets left out)."""
    out: dict[str, Any] = {}
    for field in sorted(set(before) | set(after)):
        old, new = _clean(before.get(field)), _clean(after.get(field))
        if old != new and not is_secret(field):
            out[field] = {"before": old, "after": new}
    return out


def snapshot(row: Any, fields: frozenset[str] | set[str]) -> dict[str, Any]:
    """The named attributes of an ORM row, for `diff`."""
    return {f: getattr(row, f, None) for f in fields}


def record(
    session: AsyncSession,
    *,
    account_id: str | None,
    user_id: str | None,
    action: str,
    resource_type: str,
    resource_id: str | None = None,
    changes: Mapping[str, Any] | None = None,
    success: bool = True,
) -> AuditEntry:
    """Add an entry to `session` (the caller commits it together with the change)."""
    origin = request_origin.get()
    entry = AuditEntry(
        id=new_id("audit"),
        account_id=account_id,
        user_id=user_id,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        changes=_clean(changes or {}),
        success=success,
        ip_address=origin.ip_address,
        user_agent=(origin.user_agent or "")[:500] or None,
        created_at=utcnow(),
    )
    session.add(entry)
    return entry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    user_id: str | None = None
    action: str | None = None
    resource_id: str | None = None
    resource_type: str | None = None
    since_days: int | None = None


async def list_entries(
    session: AsyncSession, account_id: str, where: AuditFilter, *, limit: int = 100, offset: int = 0
) -> tuple[list[AuditEntry], int]:
    """The account's entries matching `where`, newest first, and how many match in all."""
    conds = [AuditEntry.account_id == account_id]
    if where.user_id:
        conds.append(AuditEntry.user_id == where.user_id)
    if where.action:
        conds.append(AuditEntry.action == where.action)
    if where.resource_id:
        conds.append(AuditEntry.resource_id == where.resource_id)
    if where.resource_type:
        conds.append(AuditEntry.resource_type == where.resource_type)
    if where.since_days is not None:
        conds.append(AuditEntry.created_at >= utcnow() - timedelta(days=where.since_days))
    total = await session.scalar(select(func.count()).select_from(AuditEntry).where(*conds)) or 0
    rows = await session.scalars(
        select(AuditEntry)
        .where(*conds)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


def entry_public(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id,
        "account_id": e.account_id,
        "user_id": e.user_id,
        "action": e.action,
        "resource_type": e.resource_type,
        "resource_id": e.resource_id,
        "changes": e.changes or {},
        "success": e.success,
        "ip_address": e.ip_address,
        "user_agent": e.user_agent,
        "created_at": iso(e.created_at),
    }


async def record_alone(
    db: Database, *, account_id: str | None, user_id: str | None, action: str, resource_type: str
) -> None:
    """An event with no other write to join (e.g. a logout), in its own short transaction."""

    async def run(s: AsyncSession) -> None:
        record(
            s,
            account_id=account_id,
            user_id=user_id,
            action=action,
            resource_type=resource_type,
            resource_id=user_id,
        )

    await db.run_write(run)


async def record_login(db: Database, email: str, *, success: bool) -> None:
    """A login (or failed login) in its own short transaction: the entry names the user and their
    current account when the email is known; an unknown email is recorded with neither."""

    async def run(s: AsyncSession) -> None:
        user = await s.scalar(select(User).where(User.email == email.strip().lower()))
        record(
            s,
            account_id=user.current_account_id if user else None,
            user_id=user.id if user else None,
            action="login" if success else "login_failed",
            resource_type="auth",
            resource_id=user.id if user else None,
            success=success,
        )

    await db.run_write(run)


def record_change(
    session: AsyncSession,
    account_id: str,
    actor: str | None,
    action: str,
    resource: tuple[str, str],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> None:
    """One line for the storage modules: record `action` on `resource` (type, id) with the diff of
    `before` and `after`, in the caller's transaction."""
    record(
        session,
        account_id=account_id,
        user_id=actor,
        action=action,
        resource_type=resource[0],
        resource_id=resource[1],
        changes=diff(before, after),
    )
