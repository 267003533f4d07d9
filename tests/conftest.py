"""Shared fixtures: real settings on a temp data dir, a real database, a real uvicorn server.

Set FRONTDESK_DATABASE_URL=postgresql+asyncpg://… to run the whole suite against PostgreSQL
(the database is emptied first: use a throwaway one). Unset, every test uses SQLite files.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select, text

from frontdesk import clock
from frontdesk.api.app import create_app
from frontdesk.config import Settings
from frontdesk.storage.accounts import Identity, create_user_with_account, load_identity
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DEMO_EMAIL, seed_demo
from frontdesk.storage.migrate import upgrade
from frontdesk.storage.models import User

DEMO_CONTACTS = 150


def _settings(data_dir: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "data_dir": data_dir,
        "secret_key": "test-secret-key-with-enough-length-0123456789",
        "demo_contacts": DEMO_CONTACTS,
        "auth_rate_limit_per_minute": 0,
        "chat_rate_limit_per_minute": 0,
    }
    return Settings(**(base | overrides))  # type: ignore[arg-type]


def _reset_postgres(url: str) -> None:
    async def run() -> None:
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.close()

    asyncio.run(run())


@pytest.fixture(scope="module")
def pinned_today(request: pytest.FixtureRequest) -> Iterator[date]:
    """Hold `frontdesk.clock.today()` at the module's `TODAY` (else today) for the whole module.

    Modules whose expectations are dates relative to today use it, so a run that crosses midnight
    UTC compares like with like.
    """
    with clock.pinned(getattr(request.module, "TODAY", None) or clock.today()) as day:
        yield day


@pytest.fixture(scope="session")
def server_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = _settings(tmp_path_factory.mktemp("server"))
    if not settings.resolved_database_url.startswith("sqlite"):
        _reset_postgres(settings.resolved_database_url)
    return settings


@contextmanager
def serve_app(app: Any, **options: Any) -> Iterator[str]:
    """Run `app` in a real uvicorn server (with `options`) on a free loopback port; yield its URL."""
    config = uvicorn.Config(app, **({"log_level": "warning"} | options | {"host": "127.0.0.1", "port": 0}))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """Run the real app in a real uvicorn server on a free loopback port; yield its base URL."""
    with serve_app(create_app(settings)) as url:
        yield url


@pytest.fixture(scope="session")
def base_url(server_settings: Settings) -> Iterator[str]:
    with serve(server_settings) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


def register(client: httpx.Client, name: str = "Tester") -> dict[str, object]:
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    r = client.post("/auth/register", json={"email": email, "password": "correct-horse-1", "name": name})
    assert r.status_code == 201, r.text
    return r.json() | {"email": email, "password": "correct-horse-1"}


def auth(tokens: dict[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def demo_login(client: httpx.Client) -> dict[str, str]:
    r = client.post("/auth/login", json={"email": DEMO_EMAIL, "password": "frontdesk-demo"})
    assert r.status_code == 200, r.text
    return auth(r.json())


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database with the demo account: a fresh SQLite file per test, or the
    PostgreSQL database of FRONTDESK_DATABASE_URL (shared; tests create their own accounts)."""
    settings = _settings(tmp_path)
    database = Database(settings.resolved_database_url)
    await upgrade(database)
    async with database.session() as s:
        if not await s.scalar(select(User.id).where(User.email == DEMO_EMAIL)):
            await seed_demo(s, contacts=DEMO_CONTACTS)
    yield database
    await database.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return _settings(tmp_path)


async def demo_identity(db: Database) -> Identity:
    async with db.session() as s:
        user = await s.scalar(select(User).where(User.email == DEMO_EMAIL))
        assert user is not None
        return await load_identity(s, user.id)


async def new_identity(db: Database, name: str = "Other") -> Identity:
    async with db.session() as s:
        return await create_user_with_account(
            s, email=f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com", password="pw-12345678", name=name
        )
