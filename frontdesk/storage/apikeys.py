"""API keys: create (shown once), list, revoke, and authenticate a presented key.

A key is `fdk_` followed by 43 random URL-safe characters; only its SHA-256 digest is stored.
Keys are scoped to an account: another account's key is "not found", never "forbidden".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound, Unauthenticated
from frontdesk.security import new_opaque_token, token_digest
from frontdesk.storage import audit
from frontdesk.storage.accounts import Identity, load_identity
from frontdesk.storage.apikey_models import ApiKey
from frontdesk.storage.ids import new_id, utcnow

KEY_PREFIX = "fdk_"
SHOWN_PREFIX_CHARS = 12  # "fdk_" + 8 characters, enough to tell keys apart
LAST_USED_RESOLUTION = timedelta(minutes=1)  # last_used_at is written at most once a minute per key


@dataclass(frozen=True, slots=True)
class NewApiKey:
    row: ApiKey
    key: str  # the secret itself: returned once, never stored


def looks_like_api_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=UTC) if dt is not None and dt.tzinfo is None else dt


async def create_api_key(
    session: AsyncSession, identity: Identity, name: str, *, expires_at: datetime | None = None
) -> NewApiKey:
    """A new key acting as `identity` (its user, in its account)."""
    key = KEY_PREFIX + new_opaque_token()
    row = ApiKey(
        id=new_id("apikey"),
        account_id=identity.account.id,
        user_id=identity.user.id,
        name=name,
        prefix=key[:SHOWN_PREFIX_CHARS],
        key_hash=token_digest(key),
        expires_at=expires_at,
    )
    session.add(row)
    after = {"name": name, "prefix": row.prefix, "expires_at": expires_at}
    audit.record_change(
        session, row.account_id, row.user_id, "api_key.create", ("api_key", row.id), {}, after
    )
    await session.commit()
    return NewApiKey(row, key)


async def list_api_keys(
    session: AsyncSession, account_id: str, *, limit: int = 50, offset: int = 0, include_revoked: bool = True
) -> tuple[list[ApiKey], int]:
    """The account's keys, newest first, and their total."""
    where = [ApiKey.account_id == account_id]
    if not include_revoked:
        where.append(ApiKey.revoked_at.is_(None))
    total = await session.scalar(select(func.count()).select_from(ApiKey).where(*where)) or 0
    rows = await session.scalars(
        select(ApiKey).where(*where).order_by(ApiKey.created_at.desc(), ApiKey.id).limit(limit).offset(offset)
    )
    return list(rows), total


async def get_api_key(session: AsyncSession, account_id: str, key_id: str) -> ApiKey:
    row = await session.get(ApiKey, key_id)
    if row is None or row.account_id != account_id:
        raise NotFound("API key not found")
    return row


async def revoke_api_key(
    session: AsyncSession, account_id: str, key_id: str, *, actor: str | None = None
) -> ApiKey:
    """Revoke one of the account's keys. Idempotent: revoking twice keeps the first time."""
    row = await get_api_key(session, account_id, key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        after = {"revoked_at": row.revoked_at}
        audit.record_change(session, account_id, actor, "api_key.revoke", ("api_key", row.id), {}, after)
        await session.commit()
    return row


async def identity_for_api_key(session: AsyncSession, key: str) -> Identity:
    """Who a presented key acts as. Unknown, revoked or expired keys -> Unauthenticated."""
    row = await session.scalar(select(ApiKey).where(ApiKey.key_hash == token_digest(key)))
    now = utcnow()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated("Invalid or revoked API key")
    expires = _aware(row.expires_at)
    if expires is not None and expires <= now:
        raise Unauthenticated("API key expired")
    identity = await load_identity(session, row.user_id, row.account_id)
    last_used = _aware(row.last_used_at)
    if last_used is None or now - last_used >= LAST_USED_RESOLUTION:
        await session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
        await session.commit()
    return identity


def key_status(row: ApiKey) -> str:
    """`revoked`, `expired` or `active`."""
    if row.revoked_at is not None:
        return "revoked"
    expires = row.expires_at
    if expires is not None and (expires if expires.tzinfo else expires.replace(tzinfo=UTC)) <= utcnow():
        return "expired"
    return "active"
