"""Shared by the MCP tests over stdio and HTTP: team members with a role, API keys, and one
representative call per tool family."""

from __future__ import annotations

import uuid
from typing import Any

from frontdesk.security import hash_password
from frontdesk.storage.accounts import Identity, load_identity
from frontdesk.storage.apikeys import create_api_key
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id
from frontdesk.storage.models import Membership, User
from frontdesk.types import ROLE_PERMISSIONS, Role

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
