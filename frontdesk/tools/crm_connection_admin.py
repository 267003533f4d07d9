"""Managing connections: create, read, update, delete, test. Needs `can_manage_connections`
(reading one needs `crm.read`).

These are typed functions for the REST routes, not agent tools: credentials never pass through a
model. Credentials are validated for the platform, encrypted (`storage.crm_credentials`) and
never returned; a new connection's connector is built once before saving, so bad settings are
refused up front.
"""

from __future__ import annotations

from typing import Any

from frontdesk.errors import Conflict, Invalid
from frontdesk.storage import crm_connections as store
from frontdesk.storage import plans
from frontdesk.storage.crm_credentials import encrypt_credentials
from frontdesk.storage.events import publish
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.models import Connection
from frontdesk.tools.base import ToolContext
from frontdesk.tools.connectors.factory import PLATFORMS, Platform, connector_for, get_platform
from frontdesk.tools.crm_connections import open_connector, public

MAX_CREDENTIAL_KEYS = 10
MAX_CREDENTIAL_CHARS = 4096


def platforms() -> list[dict[str, Any]]:
    """The platforms frontdesk can connect to (GET /platforms)."""
    return [
        {
            "platform_id": p.platform_id,
            "name": p.name,
            "slug": p.platform_id,
            "auth_type": p.auth_type,
            "credentials": list(p.credentials),
            "settings": list(p.settings),
            "object_types": list(p.object_types),
            "creatable": p.creatable,
            "description": p.description,
        }
        for p in PLATFORMS.values()
    ]


def _credentials(platform: Platform, credentials: dict[str, str] | None) -> dict[str, str]:
    creds = {k: v for k, v in (credentials or {}).items() if v}
    if len(creds) > MAX_CREDENTIAL_KEYS or any(
        len(k) > 64 or len(v) > MAX_CREDENTIAL_CHARS for k, v in creds.items()
    ):
        raise Invalid(
            f"credentials: at most {MAX_CREDENTIAL_KEYS} keys of up to {MAX_CREDENTIAL_CHARS} characters"
        )
    if platform.credentials and not any(creds.get(k) for k in platform.credentials):
        raise Invalid(f"credentials: {platform.name} needs {' or '.join(platform.credentials)}")
    if not platform.credentials and creds:
        raise Invalid(f"credentials: {platform.name} takes none")
    return creds


def _settings(platform: Platform, settings: dict[str, Any] | None) -> dict[str, Any]:
    unknown = set(settings or {}) - set(platform.settings)
    if unknown:
        allowed = ", ".join(platform.settings) or "none"
        raise Invalid(
            f"settings: unknown {', '.join(sorted(unknown))} for {platform.name}; allowed: {allowed}"
        )
    return {"auth_type": platform.auth_type, **(settings or {})}


async def create_connection(
    ctx: ToolContext,
    platform_id: str,
    name: str,
    credentials: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
    auth_type: str | None = None,
) -> dict[str, Any]:
    ctx.require("can_manage_connections")
    platform = get_platform(platform_id)
    if not platform.creatable:
        raise Invalid(f"The {platform.name} connection is created with the account")
    if auth_type and auth_type != platform.auth_type:
        raise Invalid(f"auth_type: {platform.name} connects with {platform.auth_type}")
    creds = _credentials(platform, credentials)
    secret = ctx.settings.resolved_secret_key()
    row = Connection(
        id=new_id("conn"),
        account_id=ctx.principal.account_id,
        platform=platform.platform_id,
        name=name.strip(),
        credentials_encrypted=encrypt_credentials(secret, creds) if creds else None,
        settings=_settings(platform, settings),
    )
    connector_for(row, db=ctx.db, secret=secret)  # refuses bad settings before anything is saved
    async with ctx.db.session() as s:
        if await store.count_connections(s, row.account_id) >= store.MAX_CONNECTIONS:
            raise Conflict(f"An account can have at most {store.MAX_CONNECTIONS} connections")
        if ctx.settings.enforce_plan_limits:
            await plans.check(s, row.account_id, "max_connections")
        row = await store.add_connection(
            s,
            row.account_id,
            platform=row.platform,
            name=row.name,
            credentials_encrypted=row.credentials_encrypted,
            settings=row.settings,
            actor=ctx.principal.user_id,
        )
    return public(row)


async def get_connection(ctx: ToolContext, connection_id: str) -> dict[str, Any]:
    ctx.require("crm.read")
    async with ctx.db.session() as s:
        return public(await store.get_connection(s, ctx.principal.account_id, connection_id))


async def update_connection(
    ctx: ToolContext,
    connection_id: str,
    name: str | None = None,
    credentials: dict[str, str] | None = None,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Rename, replace the credentials, or change settings (merged into the current ones)."""
    ctx.require("can_manage_connections")
    secret = ctx.settings.resolved_secret_key()
    async with ctx.db.session() as s:
        row = await store.get_connection(s, ctx.principal.account_id, connection_id)
        platform = get_platform(row.platform)
        encrypted = None
        if credentials is not None:
            if not platform.creatable:
                raise Invalid(f"The {platform.name} connection has no credentials")
            encrypted = encrypt_credentials(secret, _credentials(platform, credentials))
        merged = None
        if settings is not None:
            merged = {**(row.settings or {}), **_settings(platform, settings)}
        probe = Connection(
            id=row.id,
            account_id=row.account_id,
            platform=row.platform,
            credentials_encrypted=encrypted or row.credentials_encrypted,
            settings=merged if merged is not None else row.settings,
        )
        connector_for(probe, db=ctx.db, secret=secret)  # refuses bad settings before saving
        row = await store.update_connection(
            s,
            row.account_id,
            row.id,
            name=name.strip() if name else None,
            credentials_encrypted=encrypted,
            settings=merged,
            actor=ctx.principal.user_id,
        )
    return public(row)


async def delete_connection(ctx: ToolContext, connection_id: str) -> dict[str, Any]:
    ctx.require("can_manage_connections")
    async with ctx.db.session() as s:
        row = await store.get_connection(s, ctx.principal.account_id, connection_id)
        if row.platform == "native":
            raise Invalid("The native CRM connection cannot be deleted")
        deleted_at = await store.delete_connection(s, row.account_id, row.id, actor=ctx.principal.user_id)
    return {"connection_id": connection_id, "deleted_at": iso(deleted_at)}


async def test_connection(ctx: ToolContext, connection_id: str) -> dict[str, Any]:
    """Ask the platform whether the connection works; the connection's status becomes
    `active` or `error` accordingly; a failure is published as `integration.error`."""
    ctx.require("can_manage_connections")
    row, connector = await open_connector(ctx, connection_id)
    result = await connector.test_connection()
    async with ctx.db.session() as s:
        status = "active" if result.ok else "error"
        await store.update_connection(s, row.account_id, row.id, status=status, actor=ctx.principal.user_id)
        if not result.ok:
            data = {"source": "connection", "connection_id": row.id, "platform": row.platform}
            publish(s, row.account_id, "integration.error", data | {"error": result.detail})
    return {
        "connection_id": row.id,
        "platform_id": row.platform,
        "status": "success" if result.ok else "failed",
        "tested_at": iso(utcnow()),
        "result": {"status": "valid" if result.ok else "invalid", "detail": result.detail, **result.info},
    }
