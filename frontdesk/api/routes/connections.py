"""MyFusion's platforms and connections: `/platforms`, `/platform-connections`,
`/platforms/{platform_id}/connections[/{connection_id}[/test]]`.

Listing needs `crm.read`; creating, changing, deleting and testing need `can_manage_connections`.
A connection id under the wrong platform, or of another account, is 404. Credentials go in and
never come out (responses carry `has_credentials`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.contacts import call_tool
from frontdesk.api.schemas.connections import (
    ConnectionDeleted,
    ConnectionList,
    ConnectionPublic,
    ConnectionTest,
    PlatformConnectionList,
    PlatformList,
)
from frontdesk.errors import NotFound
from frontdesk.tools import crm_connection_admin as admin
from frontdesk.tools.base import ToolContext
from frontdesk.tools.connectors.factory import PLATFORMS

router = APIRouter(tags=["connections"])
Name = Annotated[str, Field(min_length=1, max_length=200, pattern=r"\S")]


class ConnectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    auth_type: Literal["api_key", "oauth2", "none"] | None = None
    credentials: dict[str, str] | None = None
    settings: dict[str, Any] | None = None


class ConnectionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    credentials: dict[str, str] | None = None
    settings: dict[str, Any] | None = None


def _platform(platform_id: str) -> None:
    if platform_id not in PLATFORMS:
        raise NotFound(f"Unknown platform '{platform_id}'")


async def _owned(ctx: ToolContext, platform_id: str, connection_id: str) -> dict[str, Any]:
    """The connection, if it is the principal's and on this platform (else 404)."""
    _platform(platform_id)
    conn = await admin.get_connection(ctx, connection_id)
    if conn["platform_id"] != platform_id:
        raise NotFound(f"Connection {connection_id} not found")
    return conn


@router.get("/platforms", response_model=PlatformList, responses=errors(401))
async def list_platforms(_principal: CurrentPrincipal) -> dict[str, Any]:
    """The outside platforms frontdesk can connect to (CRMs, ad platforms, GA4, the offline demo),
    with the settings each needs."""
    found = admin.platforms()
    return {"platforms": found, "total": len(found)}


@router.get("/platform-connections", response_model=ConnectionList, responses=errors(401, 403))
async def list_connections(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Every connection of the account, across platforms."""
    return await call_tool(services, principal, "get_connections", {})  # type: ignore[no-any-return]


@router.get(
    "/platforms/{platform_id}/connections",
    response_model=PlatformConnectionList,
    responses=errors(401, 403, 404),
)
async def list_platform_connections(
    platform_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """The account's connections to one platform (credentials never shown)."""
    _platform(platform_id)
    found = await call_tool(services, principal, "get_connections", {"platform": platform_id})
    return found | {"platform_id": platform_id}  # type: ignore[no-any-return]


@router.post(
    "/platforms/{platform_id}/connections",
    status_code=status.HTTP_201_CREATED,
    response_model=ConnectionPublic,
    responses=errors(400, 401, 403, 404, 409, 413, 422),
)
async def create_connection(
    platform_id: str, body: ConnectionCreate, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Connect the account to a platform; its credentials are stored encrypted."""
    _platform(platform_id)
    ctx = ToolContext(principal, services.db, services.settings)
    return await admin.create_connection(
        ctx, platform_id, body.name, body.credentials, body.settings, auth_type=body.auth_type
    )


@router.get(
    "/platforms/{platform_id}/connections/{connection_id}",
    response_model=ConnectionPublic,
    responses=errors(401, 403, 404),
)
async def get_connection(
    platform_id: str, connection_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """One connection of the account (credentials never shown)."""
    return await _owned(ToolContext(principal, services.db, services.settings), platform_id, connection_id)


@router.put(
    "/platforms/{platform_id}/connections/{connection_id}",
    response_model=ConnectionPublic,
    responses=errors(400, 401, 403, 404, 413, 422),
)
async def update_connection(
    platform_id: str,
    connection_id: str,
    body: ConnectionUpdate,
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> dict[str, Any]:
    """Change a connection of the account (its name, settings or credentials)."""
    ctx = ToolContext(principal, services.db, services.settings)
    await _owned(ctx, platform_id, connection_id)
    return await admin.update_connection(ctx, connection_id, body.name, body.credentials, body.settings)


@router.delete(
    "/platforms/{platform_id}/connections/{connection_id}",
    response_model=ConnectionDeleted,
    responses=errors(400, 401, 403, 404),
)
async def delete_connection(
    platform_id: str, connection_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Remove a connection of the account."""
    ctx = ToolContext(principal, services.db, services.settings)
    await _owned(ctx, platform_id, connection_id)
    return await admin.delete_connection(ctx, connection_id)


@router.post(
    "/platforms/{platform_id}/connections/{connection_id}/test",
    response_model=ConnectionTest,
    responses=errors(401, 403, 404),
)
async def test_connection(
    platform_id: str, connection_id: str, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Ask the platform; a failed test answers 200 with `status: failed` and marks the connection
    `error` (a 401 here would read as *your* token being bad)."""
    ctx = ToolContext(principal, services.db, services.settings)
    await _owned(ctx, platform_id, connection_id)
    return await admin.test_connection(ctx, connection_id)
