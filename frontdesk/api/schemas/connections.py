"""`/platforms`, `/platform-connections`, `/platforms/{platform_id}/connections...`."""

from __future__ import annotations

from typing import Any, Literal

from frontdesk.api.schemas.base import Public, Timestamp


class PlatformPublic(Public):
    platform_id: str
    name: str
    slug: str
    auth_type: str
    credentials: list[str]
    settings: list[str]
    object_types: list[str]
    creatable: bool
    description: str


class PlatformList(Public):
    platforms: list[PlatformPublic]
    total: int


class ConnectionPublic(Public):
    """Credentials go in and never come out: `has_credentials` says whether there are any."""

    connection_id: str
    platform_id: str
    account_id: str
    name: str
    status: str
    auth_type: str
    has_credentials: bool
    settings: dict[str, Any]
    object_types: list[str]
    last_synced_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


class ConnectionList(Public):
    connections: list[ConnectionPublic]
    total: int


class PlatformConnectionList(ConnectionList):
    platform_id: str


class ConnectionDeleted(Public):
    connection_id: str
    deleted_at: Timestamp | None


class ConnectionTest(Public):
    connection_id: str
    platform_id: str
    status: Literal["success", "failed"]
    tested_at: Timestamp
    result: dict[str, Any]
