"""Accounts, users, memberships and tokens: registration, login, refresh, logout (which also puts
the access token on a deny-list until it expires).

Argon2 is CPU work of ~50-100 ms, so hashing and verifying run in a worker thread, never on the event
loop; an unknown email is verified against a dummy hash so that it takes as long as a known one.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict, NotFound, Unauthenticated
from frontdesk.security import hash_password, new_opaque_token, token_digest, verify_password
from frontdesk.storage import outbox
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Account, Connection, Membership, RefreshToken, RevokedAccessToken, User
from frontdesk.types import ROLE_PERMISSIONS, Principal, Role


@dataclass(frozen=True, slots=True)
class Identity:
    user: User
    account: Account
    membership: Membership

    def principal(self, channel: str = "web") -> Principal:
        return Principal(
            user_id=self.user.id,
            account_id=self.account.id,
            role=self.membership.role,  # type: ignore[arg-type]
            permissions=frozenset(self.membership.permissions),
            channel=channel,  # type: ignore[arg-type]
            department=self.user.department,
        )


async def create_user_with_account(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    name: str,
    company: str | None = None,
    phone_number: str | None = None,
    department: str | None = None,
    role: Role = "Owner",
) -> Identity:
    """Create a user, a fresh account and an Owner membership. Duplicate email -> Conflict."""
    email = email.strip().lower()
    if await session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("Email already registered")
    account = Account(id=new_id("account"), name=company or f"{name}'s account")
    user = User(
        id=new_id("user"),
        email=email,
        name=name,
        password_hash=await asyncio.to_thread(hash_password, password),
        phone_number=phone_number,
        department=department,
        current_account_id=account.id,
    )
    membership = Membership(
        account_id=account.id, user_id=user.id, role=role, permissions=sorted(ROLE_PERMISSIONS[role])
    )
    session.add(account)
    await session.flush()
    session.add(user)
    await session.flush()
    session.add(membership)
    session.add(Connection(id=new_id("conn"), account_id=account.id, platform="native", name="frontdesk CRM"))
    try:
        await session.commit()
    except IntegrityError as e:  # a concurrent registration won the race
        await session.rollback()
        raise Conflict("Email already registered") from e
    return Identity(user, account, membership)


async def queue_welcome(db: Database, identity: Identity, *, smtp: bool) -> str:
    """Put the welcome email of a newly registered user in the outbox; the email's id."""
    name = " ".join(identity.user.name.split())  # one line: it goes into the subject
    mail = outbox.render("welcome", identity.user.email, name=name)

    async def run(s: AsyncSession) -> str:
        return outbox.queue(s, mail, identity.account.id, smtp=smtp).id

    return await db.run_write(run)


async def load_identity(session: AsyncSession, user_id: str, account_id: str | None = None) -> Identity:
    user = await session.get(User, user_id)
    if user is None or user.status != "active":
        raise Unauthenticated("User not found or inactive")
    account_id = account_id or user.current_account_id
    row = (
        await session.execute(
            select(Membership, Account)
            .join(Account, Account.id == Membership.account_id)
            .where(Membership.user_id == user_id, Membership.account_id == account_id)
        )
    ).first()
    if row is None:
        raise Unauthenticated("No membership in this account")
    return Identity(user, row[1], row[0])


async def authenticate(session: AsyncSession, email: str, password: str) -> Identity:
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    # The same argon2 work whether or not the email exists: timing reveals nothing.
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if user is None or not ok:
        raise Unauthenticated("Invalid email or password")
    return await load_identity(session, user.id)


async def identity_for_access_token(session: AsyncSession, claims: dict[str, Any]) -> Identity:
    """Who a decoded access token is, unless it was logged out or issued before a password reset.

    One query when the token names its account; the slower path below only says why a token is
    refused. Requests reach this through `storage.identity_cache.access_identity`, which keeps a
    granted answer for a second: a logout or a reset in this process refuses the token at once,
    one made on another replica (or by `frontdesk admin`) within that second."""
    if claims.get("acc"):
        row = (
            await session.execute(
                select(User, Membership, Account, RevokedAccessToken.jti)
                .join(Membership, (Membership.user_id == User.id) & (Membership.account_id == claims["acc"]))
                .join(Account, Account.id == Membership.account_id)
                .outerjoin(RevokedAccessToken, RevokedAccessToken.jti == claims["jti"])
                .where(User.id == claims["sub"])
            )
        ).first()
        if row is not None:
            user, membership, account, revoked = row
            if revoked is None and user.status == "active" and claims.get("ep", 0) == user.token_epoch:
                return Identity(user, account, membership)
    if await session.get(RevokedAccessToken, claims["jti"]) is not None:
        raise Unauthenticated("Access token revoked (logged out)")
    identity = await load_identity(session, claims["sub"], claims.get("acc"))
    if claims.get("ep", 0) != identity.user.token_epoch:
        raise Unauthenticated("Access token revoked (password reset)")
    return identity


async def revoke_access_token(session: AsyncSession, user_id: str, claims: dict[str, Any]) -> None:
    """Deny the access token of `claims` until it expires; forget tokens that expired anyway."""
    now = utcnow()
    await session.execute(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at <= now))
    if await session.get(RevokedAccessToken, claims["jti"]) is None:
        expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
        session.add(RevokedAccessToken(jti=claims["jti"], user_id=user_id, expires_at=expires))
    try:
        await session.commit()
    except IntegrityError:  # a concurrent logout with the same token got there first
        await session.rollback()


async def issue_refresh_token(session: AsyncSession, identity: Identity, days: int) -> str:
    token = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=identity.user.id,
            account_id=identity.account.id,
            token_hash=token_digest(token),
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    await session.commit()
    return token


async def use_refresh_token(session: AsyncSession, token: str) -> Identity:
    """Validate a refresh token (not revoked, not expired) and return who it belongs to."""
    row = await session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("Invalid or revoked refresh token")
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    if expires <= utcnow():
        raise Unauthenticated("Refresh token expired")
    return await load_identity(session, row.user_id, row.account_id)


async def revoke_refresh_token(session: AsyncSession, user_id: str, token: str | None) -> None:
    """Revoke one refresh token of the user, or all of them when `token` is None. Idempotent."""
    stmt = update(RefreshToken).where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
    if token is not None:
        stmt = stmt.where(RefreshToken.token_hash == token_digest(token))
    await session.execute(stmt.values(revoked_at=utcnow()))
    await session.commit()


async def get_account(session: AsyncSession, account_id: str) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("Account not found")
    return account
