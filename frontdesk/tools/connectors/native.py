"""The `native` connector: the account's own CRM in the SQL store, behind the `Connector` interface.

Object types: contacts, leads, tags. Cursors are offsets in a stable order (contacts oldest
first, leads newest first, tags by name; ties broken by id). Records are the same dicts the CRM
tools return.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from frontdesk.errors import Invalid
from frontdesk.storage import crm as store
from frontdesk.storage import crm_write
from frontdesk.storage.db import Database
from frontdesk.tools.connectors.base import ConnectionTest, ObjectPage
from frontdesk.tools.crm_records import contact_public, lead_public, tag_public
from frontdesk.tools.crm_write import validate_field

OBJECT_TYPES = ("contacts", "leads", "tags")
MAX_LIST = 1000


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 9:
        raise Invalid(f"Invalid cursor {cursor!r}")
    return int(cursor)


def _check(object_type: str) -> None:
    if object_type not in OBJECT_TYPES:
        raise Invalid(
            f"Unknown object type '{object_type}'; this connection serves {', '.join(OBJECT_TYPES)}"
        )


class NativeConnector:
    platform = "native"

    def __init__(self, db: Database, account_id: str) -> None:
        self.db = db
        self.account_id = account_id

    def object_types(self) -> Sequence[str]:
        return OBJECT_TYPES

    async def list_objects(
        self, object_type: str, *, cursor: str | None = None, limit: int = 100
    ) -> ObjectPage:
        _check(object_type)
        offset, limit = _offset(cursor), max(1, min(limit, MAX_LIST))
        acc = self.account_id
        async with self.db.session() as s:
            if object_type == "contacts":
                contacts, total = await store.search_contacts(
                    s, acc, sort="created_at", order="asc", limit=limit, offset=offset
                )
                records = [contact_public(c) for c in contacts]
            elif object_type == "leads":
                leads, total, _ = await store.list_leads(s, acc, limit=limit, offset=offset)
                records = [lead_public(lead) for lead in leads]
            else:
                tags, total = await store.list_tags(s, acc, limit=limit, offset=offset)
                records = [tag_public(t, n) for t, n in tags]
        end = offset + len(records)
        return ObjectPage(records, next_cursor=str(end) if end < total else None, total=total)

    async def get_object(self, object_type: str, object_id: str) -> dict[str, Any]:
        _check(object_type)
        async with self.db.session() as s:
            if object_type == "contacts":
                return contact_public(await store.get_contact(s, self.account_id, object_id))
            if object_type == "leads":
                return lead_public(await store.get_lead(s, self.account_id, object_id))
            return tag_public(await store.get_tag(s, self.account_id, object_id))

    async def search_objects(self, object_type: str, query: str, *, limit: int = 25) -> list[dict[str, Any]]:
        _check(object_type)
        limit = max(1, min(limit, MAX_LIST))
        async with self.db.session() as s:
            if object_type == "contacts":
                contacts, _ = await store.search_contacts(s, self.account_id, search=query, limit=limit)
                return [contact_public(c) for c in contacts]
            if object_type == "leads":
                leads, _, _ = await store.list_leads(s, self.account_id, search=query, limit=limit)
                return [lead_public(lead) for lead in leads]
            tags, _ = await store.list_tags(s, self.account_id, search=query, limit=limit)
            return [tag_public(t, n) for t, n in tags]

    async def apply_tag(self, object_id: str, tag: str) -> dict[str, Any]:
        if not tag.strip() or len(tag.strip()) > 100:
            raise Invalid("A tag is 1-100 characters")
        async with self.db.session() as s:
            contact = await crm_write.tag_contact(s, self.account_id, object_id, add=[tag])
        return contact_public(contact)

    async def update_field(self, object_type: str, object_id: str, field: str, value: Any) -> dict[str, Any]:
        _check(object_type)
        clean = validate_field(object_type, field, value)
        async with self.db.session() as s:
            if object_type == "contacts":
                contact = await crm_write.update_contact(s, self.account_id, object_id, {field: clean})
                return contact_public(contact)
            lead = await crm_write.update_lead(s, self.account_id, object_id, {field: clean})
            return lead_public(lead)

    async def test_connection(self) -> ConnectionTest:
        async with self.db.session() as s:
            _, contacts = await store.search_contacts(s, self.account_id, limit=1)
            _, leads, _ = await store.list_leads(s, self.account_id, limit=1)
        return ConnectionTest(True, "The native CRM is available", {"contacts": contacts, "leads": leads})
