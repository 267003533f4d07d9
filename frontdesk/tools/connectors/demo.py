"""The `demo` connector: an outside CRM simulated offline from deterministic sample data.

It serves `demo_data.demo_dataset(seed, anchor, contacts)` (from the connection's settings) and
behaves like a platform connector: offset cursors, substring search, tags and field updates.
Edits (tags applied, fields updated) are kept in the connection's own `settings["edits"]`, so
they survive restarts, stay inside the account, and never touch the native CRM tables. At most
`MAX_EDITED` records may carry edits; concurrent edits to one connection are last-write-wins.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import date
from typing import Any

from frontdesk.errors import Invalid, NotFound, TooLarge
from frontdesk.storage import crm_connections
from frontdesk.storage.db import Database
from frontdesk.storage.models import Connection
from frontdesk.tools.connectors.base import ConnectionTest, ObjectPage
from frontdesk.tools.connectors.demo_data import demo_dataset

OBJECT_TYPES = ("contacts", "companies", "deals", "tags")
WRITABLE = {
    "contacts": ("email", "phone", "company", "position", "lifecycle_stage"),
    "deals": ("stage", "amount"),
}
SEARCHED = ("name", "email", "company", "domain", "industry", "stage")
MAX_LIST = 1000
MAX_EDITED = 2000
DEFAULT_ANCHOR = date(2026, 1, 1)


def _check(object_type: str) -> None:
    if object_type not in OBJECT_TYPES:
        raise Invalid(
            f"Unknown object type '{object_type}'; this connection serves {', '.join(OBJECT_TYPES)}"
        )


class DemoConnector:
    platform = "demo"

    def __init__(self, db: Database, connection: Connection) -> None:
        self.db = db
        self.connection_id = connection.id
        self.account_id = connection.account_id
        settings = connection.settings or {}
        try:
            anchor = date.fromisoformat(str(settings.get("anchor", DEFAULT_ANCHOR.isoformat())))
            size = max(1, min(int(settings.get("contacts", 120)), 5000))
            seed = int(settings.get("seed", 42))
        except (TypeError, ValueError) as e:
            raise Invalid(f"The demo connection's settings are invalid: {e}") from e
        self.data = demo_dataset(seed, anchor, size)
        self.edits: dict[str, dict[str, Any]] = dict(settings.get("edits") or {})

    def object_types(self) -> Sequence[str]:
        return OBJECT_TYPES

    def _record(self, object_type: str, record: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(record)
        out.update(self.edits.get(f"{object_type}/{record['id']}", {}))
        return out

    async def list_objects(
        self, object_type: str, *, cursor: str | None = None, limit: int = 100
    ) -> ObjectPage:
        _check(object_type)
        if cursor is not None and (not cursor.isdigit() or len(cursor) > 9):
            raise Invalid(f"Invalid cursor {cursor!r}")
        rows = self.data.objects[object_type]
        start = int(cursor or 0)
        page = rows[start : start + max(1, min(limit, MAX_LIST))]
        end = start + len(page)
        return ObjectPage(
            [self._record(object_type, r) for r in page],
            next_cursor=str(end) if end < len(rows) else None,
            total=len(rows),
        )

    async def get_object(self, object_type: str, object_id: str) -> dict[str, Any]:
        _check(object_type)
        record = self.data.index(object_type).get(object_id)
        if record is None:
            raise NotFound(f"{object_type} {object_id} not found in this connection")
        return self._record(object_type, record)

    async def search_objects(self, object_type: str, query: str, *, limit: int = 25) -> list[dict[str, Any]]:
        _check(object_type)
        needle = query.strip().lower()
        found = []
        for record in self.data.objects[object_type]:
            current = self._record(object_type, record)
            if any(needle in str(current.get(f) or "").lower() for f in SEARCHED):
                found.append(current)
                if len(found) >= max(1, min(limit, MAX_LIST)):
                    break
        return found

    async def apply_tag(self, object_id: str, tag: str) -> dict[str, Any]:
        tag = tag.strip()
        if not tag or len(tag) > 100:
            raise Invalid("A tag is 1-100 characters")
        current = await self.get_object("contacts", object_id)
        if tag.lower() in {t.lower() for t in current["tags"]}:
            return current
        return await self._save("contacts", object_id, {"tags": sorted([*current["tags"], tag])})

    async def update_field(self, object_type: str, object_id: str, field: str, value: Any) -> dict[str, Any]:
        _check(object_type)
        if field not in WRITABLE.get(object_type, ()):
            allowed = ", ".join(WRITABLE.get(object_type, ())) or "none"
            raise Invalid(f"Field '{field}' of {object_type} cannot be updated; writable: {allowed}")
        await self.get_object(object_type, object_id)  # NotFound first
        if field == "amount":
            try:
                value = float(value)
            except (TypeError, ValueError) as e:
                raise Invalid("amount must be a number") from e
        elif not isinstance(value, str) or len(value) > 200:
            raise Invalid(f"{field} must be text of up to 200 characters")
        return await self._save(object_type, object_id, {field: value})

    async def _save(self, object_type: str, object_id: str, change: dict[str, Any]) -> dict[str, Any]:
        key = f"{object_type}/{object_id}"
        async with self.db.session() as s:
            row = await crm_connections.get_connection(s, self.account_id, self.connection_id)
            settings = dict(row.settings or {})
            edits = dict(settings.get("edits") or {})
            if key not in edits and len(edits) >= MAX_EDITED:
                raise TooLarge(f"The demo connection keeps edits for at most {MAX_EDITED} records")
            edits[key] = {**edits.get(key, {}), **change}
            await crm_connections.update_connection(
                s, self.account_id, self.connection_id, settings=settings | {"edits": edits}
            )
        self.edits = edits
        return await self.get_object(object_type, object_id)

    async def test_connection(self) -> ConnectionTest:
        counts = {t: len(rows) for t, rows in self.data.objects.items()}
        return ConnectionTest(True, "The demo CRM is available offline", counts)
