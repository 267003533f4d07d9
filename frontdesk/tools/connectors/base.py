"""The `Connector` interface every data source implements.

Records cross this boundary as plain dicts with an `id` and the object type's fields; platform
JSON never leaves the connector. Connectors are built per call from a `connections` row
(`connectors.factory.connector_for`). Platform failures raise `ConnectorError` (502), a
rejected credential `ConnectorAuthError`, a platform rate limit `errors.RateLimited`, a missing
record `errors.NotFound`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from frontdesk.errors import ToolFailure


@dataclass(frozen=True, slots=True)
class ObjectPage:
    records: list[dict[str, Any]]
    next_cursor: str | None = None  # pass back to `list_objects` for the next page; None = last page
    total: int | None = None  # when the platform reports it


@dataclass(frozen=True, slots=True)
class ConnectionTest:
    ok: bool
    detail: str = ""
    info: dict[str, Any] = field(default_factory=dict)


class Connector(Protocol):
    platform: str

    def object_types(self) -> Sequence[str]:
        """Object types this source serves, e.g. ("contacts", "tags", "leads")."""
        ...

    async def list_objects(
        self, object_type: str, *, cursor: str | None = None, limit: int = 100
    ) -> ObjectPage: ...

    async def get_object(self, object_type: str, object_id: str) -> dict[str, Any]:
        """One record; raises `NotFound` when it does not exist."""
        ...

    async def search_objects(
        self, object_type: str, query: str, *, limit: int = 25
    ) -> list[dict[str, Any]]: ...

    async def apply_tag(self, object_id: str, tag: str) -> dict[str, Any]:
        """Tag a contact; returns the updated record."""
        ...

    async def update_field(
        self, object_type: str, object_id: str, field: str, value: Any
    ) -> dict[str, Any]: ...

    async def test_connection(self) -> ConnectionTest: ...


class ConnectorError(ToolFailure):
    """The outside platform failed or refused the request (answered as 502 Bad Gateway)."""

    status_code = 502
    code = "connector_error"


class ConnectorAuthError(ConnectorError):
    """The platform rejected the connection's credentials (its 401/403)."""

    code = "connector_unauthorized"
