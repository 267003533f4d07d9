"""Access tokens (`security.decode_access_token`): a token's signature is verified the first time
the process sees it and its claims kept by the exact string; any changed byte or another secret
is verified anew (and refused); a kept token still expires on time; the kept tokens are bounded."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from frontdesk import security
from frontdesk.errors import Unauthenticated

SECRET = "a-secret-key-for-these-tests-with-enough-length-0123"


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "_verified", {})


def token(secret: str = SECRET, **claims: Any) -> str:
    now = int(time.time())
    body = {"sub": "user:1", "acc": "acct:1", "iat": now, "exp": now + 600, "typ": "access", "jti": "j1"}
    return jwt.encode(body | claims, secret, algorithm="HS256")


def test_a_token_is_verified_once_then_read_from_its_string(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: calls.append(1) or real(*a, **k))
    t = token()
    first = security.decode_access_token(SECRET, t)
    assert security.decode_access_token(SECRET, t) == first and first["sub"] == "user:1"
    assert len(calls) == 1


def test_a_changed_byte_or_another_secret_is_verified_anew_and_refused() -> None:
    t = token()
    security.decode_access_token(SECRET, t)
    head, body, signature = t.split(".")
    forged = ".".join([head, body, ("A" if signature[0] != "A" else "B") + signature[1:]])
    with pytest.raises(Unauthenticated, match="Invalid"):
        security.decode_access_token(SECRET, forged)
    with pytest.raises(Unauthenticated, match="Invalid"):
        security.decode_access_token("another-secret-key-with-enough-length-0123456789", t)
    refresh = token(typ="refresh")
    with pytest.raises(Unauthenticated, match="Invalid"):
        security.decode_access_token(SECRET, refresh)


def test_a_kept_token_expires_on_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    t = token(exp=int(now) + 30)
    security.decode_access_token(SECRET, t)  # verified and kept
    monkeypatch.setattr(security.time, "time", lambda: now + 31)
    with pytest.raises(Unauthenticated, match="expired"):
        security.decode_access_token(SECRET, t)
    with pytest.raises(Unauthenticated, match="expired"):  # and once expired, never again
        security.decode_access_token(SECRET, t)


def test_a_token_from_the_future_is_refused_when_kept_too(monkeypatch: pytest.MonkeyPatch) -> None:
    now = time.time()
    t = token(nbf=int(now) + 5)
    monkeypatch.setattr(security.time, "time", lambda: now + 10)
    with monkeypatch.context() as m:  # verified while valid (PyJWT's own clock)
        m.setattr(jwt.api_jwt, "datetime", _Clock(now + 10))
        security.decode_access_token(SECRET, t)
    monkeypatch.setattr(security.time, "time", lambda: now)  # the clock back before nbf
    with pytest.raises(Unauthenticated, match="Invalid"):
        security.decode_access_token(SECRET, t)


def test_the_kept_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "VERIFIED_KEEP", 3)
    tokens = [token(jti=f"j{i}") for i in range(5)]
    for t in tokens:
        security.decode_access_token(SECRET, t)
    assert list(k for _, k in security._verified) == tokens[2:]  # the newest three


class _Clock:
    """`datetime` for PyJWT with `now()` fixed at `at`."""

    def __init__(self, at: float) -> None:
        import datetime as real

        self._real = real.datetime
        self._at = at

    def now(self, tz: Any = None) -> Any:
        return self._real.fromtimestamp(self._at, tz)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)
