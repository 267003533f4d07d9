"""Shared by the MCP tests over stdio and HTTP: team members with a role, API keys, and one
representative call per tool family."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from frontdesk.config import Settings
from frontdesk.security import hash_password
from frontdesk.storage.accounts import Identity, load_identity
from frontdesk.storage.apikeys import create_api_key
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id
from frontdesk.storage.models import Membership, User
from frontdesk.types import ROLE_PERMISSIONS, Role
from tests.conftest import _settings, demo_identity

# One call per tool family; a family's tool is called when the registry has it.
FAMILY_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "crm": ("get_contacts", {"tags": ["VIP"], "limit": 3}),
    "helpers": ("list_helper_types", {}),
    "ads": ("get_campaigns", {}),
    "analytics": ("dashboard_summary", {}),
    "search": ("search_messages", {"q": "pipeline"}),
    "explorer": ("data_catalog", {}),
}
# A write tool a Viewer may not use.
WRITE_CALL: tuple[str, dict[str, Any]] = ("create_contact", {"name": "Mallory Viewer"})


def family_calls(tool_names: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    present = {f: call for f, call in FAMILY_CALLS.items() if call[0] in tool_names}
    assert "crm" in present, "the CRM family is always there"
    return present


async def add_member(db: Database, owner: Identity, role: Role, name: str = "Vic") -> Identity:
    """A new user in `owner`'s account with `role` and its default permissions."""
    async with db.session() as s:
        user = User(
            id=new_id("user"),
            email=f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com",
            name=name,
            password_hash=hash_password("pw-12345678"),
            current_account_id=owner.account.id,
        )
        s.add(user)
        await s.flush()
        s.add(
            Membership(
                account_id=owner.account.id,
                user_id=user.id,
                role=role,
                permissions=sorted(ROLE_PERMISSIONS[role]),
            )
        )
        await s.commit()
        return await load_identity(s, user.id)


async def new_key(db: Database, identity: Identity, name: str = "test key") -> tuple[str, str]:
    """(key id, key) of a new API key acting as `identity`."""
    async with db.session() as s:
        created = await create_api_key(s, identity, name)
    return created.row.id, created.key


def demo_key(settings: Settings) -> str:
    """A new API key of the demo account's owner in the store of `settings` (made before or after
    its server started)."""

    async def make() -> str:
        db = Database(settings.resolved_database_url)
        try:
            return (await new_key(db, await demo_identity(db)))[1]
        finally:
            await db.close()

    return asyncio.run(make())


@asynccontextmanager
async def connect(url: str, token: str, mode: str = "legacy", **options: Any) -> AsyncIterator[Client]:
    """A real MCP client session on `{url}/mcp` with a bearer credential; `options` go to `Client`
    (`logging_callback`, ...)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=120.0)) as http:
        transport = streamable_http_client(f"{url}/mcp", http_client=http)
        async with Client(transport, mode=mode, **options) as client:  # type: ignore[arg-type]
            yield client


def module_settings(tmp_path_factory: pytest.TempPathFactory, name: str, **overrides: Any) -> Settings:
    """Settings for a test module's own server: a fresh data dir and, on PostgreSQL, a fresh
    database `<db>_<name>` next to the suite's, so its demo data and lake agree with each other
    (on SQLite the data dir already holds its own database file)."""
    settings = _settings(tmp_path_factory.mktemp(name), **overrides)
    if settings.resolved_database_url.startswith("sqlite"):
        return settings
    url = make_url(settings.resolved_database_url)
    database = f"{url.database}_{name}"

    async def create() -> None:
        engine = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                await conn.execute(text(f'CREATE DATABASE "{database}"'))
        finally:
            await engine.dispose()

    asyncio.run(create())
    own_url = url.set(database=database).render_as_string(hide_password=False)
    return settings.model_copy(update={"database_url": own_url})
