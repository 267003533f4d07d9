"""Which platforms frontdesk can connect to, and `connector_for`: a `connections` row -> a `Connector`.

Another connector family (ads, analytics) joins with `register_platform(Platform(...), builder)`;
a platform without a builder cannot be connected, so every connection can be used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from frontdesk.errors import Invalid
from frontdesk.storage.crm_credentials import decrypt_credentials
from frontdesk.storage.db import Database
from frontdesk.storage.models import Connection
from frontdesk.tools.connectors import demo, hubspot, native
from frontdesk.tools.connectors.base import Connector


@dataclass(frozen=True, slots=True)
class Platform:
    platform_id: str
    name: str
    auth_type: str  # none | api_key | oauth2
    credentials: tuple[str, ...] = ()  # one of these keys must be given (aliases of one secret)
    creatable: bool = True  # False: made by frontdesk itself (the native CRM)
    description: str = ""
    object_types: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()  # non-secret settings a user may set


@dataclass(frozen=True, slots=True)
class ConnectorDeps:
    db: Database
    secret: str
    transport: httpx.AsyncBaseTransport | None = None


Builder = Callable[[Connection, ConnectorDeps], Connector]


def _native(row: Connection, deps: ConnectorDeps) -> Connector:
    return native.NativeConnector(deps.db, row.account_id)


def _demo(row: Connection, deps: ConnectorDeps) -> Connector:
    return demo.DemoConnector(deps.db, row)


def _hubspot(row: Connection, deps: ConnectorDeps) -> Connector:
    creds = decrypt_credentials(deps.secret, row.credentials_encrypted)
    token = str(creds.get("access_token") or creds.get("api_key") or "")
    tag_property = str((row.settings or {}).get("tag_property") or "frontdesk_tags")
    return hubspot.HubSpotConnector(token, tag_property=tag_property, transport=deps.transport)


PLATFORMS: dict[str, Platform] = {}
_BUILDERS: dict[str, Builder] = {}


def register_platform(platform: Platform, builder: Builder) -> None:
    if platform.platform_id in PLATFORMS:
        raise ValueError(f"platform {platform.platform_id} registered twice")
    PLATFORMS[platform.platform_id] = platform
    _BUILDERS[platform.platform_id] = builder


register_platform(
    Platform(
        "native",
        "frontdesk CRM",
        "none",
        creatable=False,
        description="The built-in CRM.",
        object_types=native.OBJECT_TYPES,
    ),
    _native,
)
register_platform(
    Platform(
        "demo",
        "Demo CRM",
        "none",
        description="Offline sample CRM data (no credentials).",
        object_types=demo.OBJECT_TYPES,
        settings=("seed", "contacts", "anchor"),
    ),
    _demo,
)
register_platform(
    Platform(
        "hubspot",
        "HubSpot",
        "api_key",
        credentials=("access_token", "api_key"),
        description="HubSpot CRM v3 with a private app access token.",
        object_types=tuple(hubspot.PROPERTIES),
        settings=("tag_property",),
    ),
    _hubspot,
)


def get_platform(platform_id: str) -> Platform:
    try:
        return PLATFORMS[platform_id]
    except KeyError:
        known = ", ".join(p for p, info in PLATFORMS.items() if info.creatable)
        raise Invalid(f"Unknown or unsupported platform '{platform_id}'; supported: {known}") from None


def connector_for(
    row: Connection, *, db: Database, secret: str, transport: httpx.AsyncBaseTransport | None = None
) -> Connector:
    """The connector serving this connection (credentials decrypted here, held only in memory)."""
    builder = _BUILDERS.get(row.platform)
    if builder is None:
        raise Invalid(f"No connector for platform '{row.platform}'")
    return builder(row, ConnectorDeps(db, secret, transport))
