"""Passwords: change (current password checked), forgot (a 6-digit code by email) and reset.

A reset code is stored as an HMAC keyed by the server secret (six digits are too few for a plain
hash), is valid `Settings.password_reset_minutes`, works once, and is spent after
`Settings.password_reset_attempts` wrong guesses; asking again replaces it. A reset revokes every
refresh token of the user and, by bumping `users.token_epoch`, every access token already issued.
Forgot-password answers the same whether or not the email is known.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, Unauthenticated
from frontdesk.security import hash_password, verify_password
from frontdesk.storage import audit, outbox
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import RefreshToken, User
from frontdesk.storage.team_models import PasswordResetCode

_POLICY = "Password must be at least 8 characters with an upper-case letter, a lower-case letter and a digit"


@dataclass(frozen=True, slots=True)
class ResetPolicy:
    secret: str
    minutes: int = 15
    attempts: int = 5
    smtp: bool = False


def check_policy(password: str) -> None:
    if not (
        len(password) >= 8
        and re.search(r"[A-Z]", password)
        and re.search(r"[a-z]", password)
        and re.search(r"\d", password)
    ):
        raise Invalid(_POLICY, code="weak_password")


def code_digest(secret: str, user_id: str, code: str) -> str:
    return hmac.new(secret.encode(), f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


async def change_password(
    db: Database, user_id: str, account_id: str, current: str, new: str, *, smtp: bool
) -> str:
    """401 when `current` is wrong, 400 when `new` breaks the policy; the queued email's id."""
    async with db.session() as s:
        user = await s.get(User, user_id)
    if user is None or not await asyncio.to_thread(verify_password, user.password_hash, current):
        raise Unauthenticated("Current password is incorrect")
    check_policy(new)
    new_hash = await asyncio.to_thread(hash_password, new)

    async def run(s: AsyncSession) -> None:
        await s.execute(
            update(User).where(User.id == user_id).values(password_hash=new_hash, updated_at=utcnow())
        )
        audit.record(
            s,
            account_id=account_id,
            user_id=user_id,
            action="password.change",
            resource_type="user",
            resource_id=user_id,
        )
        outbox.queue(
            s, outbox.render("password_changed", user.email, email=user.email), account_id, smtp=smtp
        )

    await db.run_write(run, retry_conflicts=True)


async def forgot_password(db: Database, email: str, policy: ResetPolicy) -> str | None:
    """Email a new reset code to a known active user; the queued email's id (None when unknown)."""
    email = email.strip().lower()
    code = f"{secrets.randbelow(10**6):06d}"

    async def run(s: AsyncSession) -> str | None:
        user = await s.scalar(select(User).where(User.email == email))
        if user is None or user.status != "active":
            return None
        now = utcnow()
        await s.execute(
            update(PasswordResetCode)
            .where(PasswordResetCode.user_id == user.id, PasswordResetCode.used_at.is_(None))
            .values(used_at=now)
        )
        s.add(
            PasswordResetCode(
                user_id=user.id,
                code_hash=code_digest(policy.secret, user.id, code),
                attempts=0,
                expires_at=now + timedelta(minutes=policy.minutes),
                created_at=now,
            )
        )
        audit.record(
            s,
            account_id=user.current_account_id,
            user_id=user.id,
            action="password.reset_requested",
            resource_type="user",
            resource_id=user.id,
        )
        mail = outbox.render("password_reset", user.email, code=code, minutes=policy.minutes)
        return outbox.queue(s, mail, user.current_account_id, smtp=policy.smtp).id

    return await db.run_write(run, retry_conflicts=True)


async def reset_password(db: Database, email: str, code: str, new: str, policy: ResetPolicy) -> None:
    """Set a new password with a valid code; 400 for a wrong, used, expired or spent code."""
    check_policy(new)
    new_hash = await asyncio.to_thread(hash_password, new)
    email = email.strip().lower()

    async def run(s: AsyncSession) -> bool:
        user = await s.scalar(select(User).where(User.email == email))
        if user is None:
            return False
        row = await s.scalar(
            select(PasswordResetCode)
            .where(PasswordResetCode.user_id == user.id, PasswordResetCode.used_at.is_(None))
            .order_by(PasswordResetCode.id.desc())
            .limit(1)
        )
        now = utcnow()
        if row is None:
            return False
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        if expires <= now:
            row.used_at = now
            return False
        if not hmac.compare_digest(row.code_hash, code_digest(policy.secret, user.id, code)):
            row.attempts += 1
            if row.attempts >= policy.attempts:
                row.used_at = now  # spent: ask for a new code
            return False
        row.used_at = now
        user.password_hash = new_hash
        user.updated_at = now
        user.token_epoch += 1  # access tokens already issued stop working
        await s.execute(
            update(RefreshToken)
            .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        audit.record(
            s,
            account_id=user.current_account_id,
            user_id=user.id,
            action="password.reset",
            resource_type="user",
            resource_id=user.id,
        )
        return True

    if not await db.run_write(run, retry_conflicts=True):  # wrong guesses are committed before the 400
        raise Invalid("Invalid or expired code", code="invalid_code")
