"""Passwords (argon2id), JWT access tokens, and opaque refresh tokens stored as hashes.

Pure functions over `Settings`; no database access here.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from frontdesk.errors import Unauthenticated

_hasher = PasswordHasher()  # argon2id with the library's recommended parameters
_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches. With no hash (an unknown email) it checks against a dummy hash
    and answers False, so a login takes as long whether or not the email exists. Blocking (argon2
    spends ~50-100 ms of CPU): async callers run it in a thread."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(
    secret: str, *, user_id: str, account_id: str, minutes: int, epoch: int = 0
) -> tuple[str, int]:
    """Return (token, expires_in_seconds). `epoch` is the user's token epoch: a password reset
    bumps it, and tokens of an older epoch are refused."""
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": user_id,
        "acc": account_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "typ": "access",
        "jti": uuid.uuid4().hex,  # logout puts it on the deny-list until `exp`
        "ep": epoch,
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM), minutes * 60


VERIFIED_KEEP = 4_096  # access tokens whose signature this process has verified, newest kept
_verified: dict[tuple[str, str], dict[str, Any]] = {}


def decode_access_token(secret: str, token: str) -> dict[str, Any]:
    """The claims of a valid access token signed with `secret` (read them, do not change them).

    The signature is verified the first time this process sees the exact token string; its
    claims are then kept by that string (and the secret), up to `VERIFIED_KEEP` tokens, so a
    client's later requests skip the HMAC and PyJWT's parsing (~45-100 us a request on the
    bench machine, issue 15). Any other string, a changed byte included, is verified anew. The
    claims that depend on the time (`exp`, `iat`, `nbf`) are checked on every call, as PyJWT
    checks them, so a kept token expires on time. Whether the token was logged out is the
    store's answer (`storage.identity_cache`), not this one's."""
    key = (secret, token)
    claims = _verified.get(key)
    if claims is None:
        claims = _verify(secret, token)
        if len(_verified) >= VERIFIED_KEEP:
            del _verified[next(iter(_verified))]  # the oldest first
        _verified[key] = claims
    else:
        _check_times(claims)
    return claims


def _verify(secret: str, token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["exp", "sub", "jti"]}
        )
    except jwt.ExpiredSignatureError as e:
        raise Unauthenticated("Access token expired") from e
    except jwt.PyJWTError as e:
        raise Unauthenticated("Invalid access token") from e
    if claims.get("typ") != "access":
        raise Unauthenticated("Invalid access token")
    return claims


def _check_times(claims: dict[str, Any]) -> None:
    """PyJWT's checks of the time claims (no leeway), for claims verified earlier."""
    now = time.time()
    if int(claims["exp"]) <= now:
        raise Unauthenticated("Access token expired")
    if any(name in claims and int(claims[name]) > now for name in ("iat", "nbf")):
        raise Unauthenticated("Invalid access token")


def new_opaque_token() -> str:
    """A random token for refresh tokens and API keys; only its hash is stored."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
