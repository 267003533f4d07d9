"""Auth holes, shut, through the real server: MCP turns count against the chat rate limit, login
time does not tell whether an email exists, `X-Forwarded-For` is believed only from a trusted
proxy, failed logins are limited per email, logout revokes the access token, and the database and
the lake are readable by their owner only."""

from __future__ import annotations

import os
import stat
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from frontdesk.api.app import create_app
from frontdesk.config import Settings
from tests.api.live_server import serve_app
from tests.api.test_mcp_http import connect
from tests.conftest import _settings, auth, register, serve


def _own_sqlite(settings: Settings, data_dir: Path) -> Settings:
    """This test needs its own database, also on the PostgreSQL pass."""
    if settings.resolved_database_url.startswith("sqlite"):
        return settings
    return settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}"})


def login(c: httpx.Client, email: str, password: str, **headers: str) -> httpx.Response:
    return c.post("/auth/login", json={"email": email, "password": password}, headers=headers)


async def test_ask_frontdesk_over_mcp_counts_against_the_chat_rate_limit(tmp_path: Path) -> None:
    settings = _own_sqlite(_settings(tmp_path, demo_data=False, chat_rate_limit_per_minute=3), tmp_path)
    with serve(settings) as url:
        with httpx.Client(base_url=url, timeout=60) as c:
            user = register(c, "Limited")
        headers = auth(user)
        question = {"question": "How many contacts do I have?"}
        async with connect(url, str(user["access_token"])) as client:
            for _ in range(2):
                answer = await client.call_tool("ask_frontdesk", question)
                assert not answer.is_error, answer.content
            async with httpx.AsyncClient(base_url=url, timeout=60) as rest:
                third = await rest.post("/chat/send", json={"message": "hello"}, headers=headers)
                assert third.status_code == 200, third.text  # REST and MCP share one budget of 3
                refused = await client.call_tool("ask_frontdesk", question)
                assert refused.is_error
                text = refused.content[0].text  # type: ignore[union-attr]
                assert "Rate limit of 3 chat turns per 60 s exceeded" in text and "try again in" in text
                fourth = await rest.post("/chat/send", json={"message": "hello"}, headers=headers)
                assert fourth.status_code == 429 and int(fourth.headers["retry-after"]) >= 1
            other = await client.call_tool("get_contacts", {"limit": 1})  # other tools are not chat turns
            assert not other.is_error


def test_login_takes_as_long_for_an_unknown_email(client: httpx.Client) -> None:
    known = register(client, "Timed")
    known_times, unknown_times = [], []
    for i in range(6):
        start = time.perf_counter()
        assert login(client, str(known["email"]), "wrong-password").status_code == 401
        known_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        assert (
            login(client, f"nobody-{i}-{uuid.uuid4().hex[:6]}@example.com", "wrong-password").status_code
            == 401
        )
        unknown_times.append(time.perf_counter() - start)
    known_median, unknown_median = statistics.median(known_times), statistics.median(unknown_times)
    assert unknown_median >= 0.3 * known_median, (unknown_times, known_times)


@contextmanager
def served_like_frontdesk_serve(settings: Settings) -> Iterator[str]:
    """The app under uvicorn with the options `frontdesk serve` uses."""
    from frontdesk.cli import uvicorn_options

    options: dict[str, Any] = uvicorn_options(settings) | {"log_level": "warning"}
    with serve_app(create_app(settings), **options) as url:
        yield url


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(tmp_path: Path) -> None:
    base = _own_sqlite(_settings(tmp_path, demo_data=False, auth_rate_limit_per_minute=3), tmp_path)
    with served_like_frontdesk_serve(base) as url, httpx.Client(base_url=url) as c:
        codes = [
            login(c, f"x{i}@y.zz", "nope", **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code
            for i in range(4)
        ]
        assert codes == [401, 401, 401, 429]  # rotating the header does not make a new client


def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, demo_data=False, auth_rate_limit_per_minute=3, trusted_proxies=["127.0.0.1"]
    )
    with served_like_frontdesk_serve(_own_sqlite(settings, tmp_path)) as url, httpx.Client(base_url=url) as c:
        rotating = [
            login(c, f"r{i}@y.zz", "nope", **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(5)
        ]
        assert rotating == [401] * 5  # five clients behind the proxy, one attempt each
        spoofed = "10.9.9.9, 192.0.2.7"  # what the client wrote, then what the proxy saw
        same = [login(c, f"s{i}@y.zz", "nope", **{"X-Forwarded-For": spoofed}).status_code for i in range(4)]
        assert same == [401, 401, 401, 429]
        other = login(c, "t@y.zz", "nope", **{"X-Forwarded-For": "10.9.9.9, 192.0.2.8"})
        assert other.status_code == 401  # the right-most address is the client, not the left one


def test_failed_logins_are_limited_per_email(client: httpx.Client) -> None:
    limit = 10  # the default of FRONTDESK_LOGIN_FAILURES_PER_EMAIL, which the shared server keeps
    victim, bystander = register(client, "Victim"), register(client, "Bystander")
    for _ in range(3):  # successful logins are not failures
        assert login(client, str(victim["email"]), str(victim["password"])).status_code == 200
    codes = [login(client, str(victim["email"]), "guess").status_code for _ in range(limit + 1)]
    assert codes == [401] * limit + [429]
    locked = login(client, str(victim["email"]).upper(), str(victim["password"]))
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60  # 15-minute window
    assert "failed logins" in locked.json()["detail"]
    assert login(client, str(bystander["email"]), str(bystander["password"])).status_code == 200


def test_logout_revokes_the_access_token(client: httpx.Client) -> None:
    tokens = register(client, "Leaving")
    h = auth(tokens)
    assert client.get("/auth/me", headers=h).status_code == 200
    assert client.post("/auth/logout", headers=h).status_code == 204
    r = client.get("/auth/me", headers=h)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert client.post("/auth/logout", headers=h).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401
    again = login(client, str(tokens["email"]), str(tokens["password"]))
    assert client.get("/auth/me", headers=auth(again.json())).status_code == 200


def test_the_database_and_the_lake_are_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh"
    settings = _own_sqlite(_settings(data_dir, demo_contacts=20), data_dir)
    old = os.umask(0o022)  # the usual umask: without care, files would be world-readable
    try:
        with serve(settings) as url:
            assert httpx.get(f"{url}/health").status_code == 200
            db = data_dir / "frontdesk.db"
            for path in (db, db.with_name("frontdesk.db-wal"), db.with_name("frontdesk.db-shm")):
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
            assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
            lake = data_dir / "lake"
            files = [p for p in lake.rglob("*") if p.is_file()]
            assert files, "the demo account's lake was written"
            for path in [lake, *lake.rglob("*")]:
                want = 0o600 if path.is_file() else 0o700
                assert stat.S_IMODE(path.stat().st_mode) == want, path
    finally:
        os.umask(old)
