"""The access-token identity cache (`storage.identity_cache`) over real HTTP: a token's store lookup
is reused for a second; a logout through this server refuses the token at once; a write the server
does not see (another process) counts once the TTL has passed."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from frontdesk.storage import identity_cache, read_cache
from frontdesk.storage.db import Database
from tests.conftest import _settings, auth, register, serve


def test_lookup_reused_and_logout_refuses_at_once(client: httpx.Client) -> None:
    tokens = register(client, "Cached")
    assert client.get("/auth/me", headers=auth(tokens)).status_code == 200
    hits = identity_cache._identities.hits
    assert client.get("/auth/me", headers=auth(tokens)).status_code == 200
    assert identity_cache._identities.hits > hits  # the second request did not ask the store
    assert client.post("/auth/logout", headers=auth(tokens)).status_code == 204
    r = client.get("/auth/me", headers=auth(tokens))
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


class _Clock:
    """`time` for `storage.read_cache`, `ahead` seconds in the future."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead


def _deactivate_elsewhere(url: str, user_id: str) -> None:
    """What another process does: a write through a connection of its own, no session here."""

    async def run() -> None:
        db = Database(url)
        try:
            async with db.engine.begin() as conn:
                await conn.execute(
                    text("UPDATE users SET status = 'disabled' WHERE id = :id"), {"id": user_id}
                )
        finally:
            await db.close()

    asyncio.run(run())


def test_a_write_by_another_process_counts_after_the_ttl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("needs its own database; runs on the SQLite pass")
    clock = _Clock()
    monkeypatch.setattr(read_cache, "time", clock)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
        tokens = register(client, "Elsewhere")
        user_id = str(tokens["user"]["user_id"])  # type: ignore[index]
        assert client.get("/auth/me", headers=auth(tokens)).status_code == 200
        _deactivate_elsewhere(settings.resolved_database_url, user_id)
        # Within the TTL this process still answers from what it read (the documented bound) ...
        assert client.get("/auth/me", headers=auth(tokens)).status_code == 200
        # ... and once the entry is older than the TTL it asks the store again.
        clock.ahead = identity_cache.TTL_SECONDS + 0.01
        r = client.get("/auth/me", headers=auth(tokens))
        assert r.status_code == 401 and "inactive" in r.json()["detail"]
