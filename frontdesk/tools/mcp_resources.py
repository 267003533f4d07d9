"""MCP resources: an account's data as `frontdesk://` URIs, read as the asking principal.

- `frontdesk://catalog` — the data explorer's catalog of the account's datasets (the
  `data_catalog` tool's answer; needs its permission).
- `frontdesk://conversations/{conversation_id}` — one of the principal's own conversations with
  its messages. `resources/list` names the principal's most recent ones.
- `frontdesk://contacts/{contact_id}` — one CRM contact with tags, notes and leads (the
  `get_contact_detail` tool's answer).

Every read goes through the same scoping as the tools and REST routes: another account's (or
another user's) conversation or contact is "not found" (`INVALID_PARAMS`, as the spec asks for an
unknown resource), never a different error that would leak its existence.
"""

from __future__ import annotations

import json
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError

from frontdesk.errors import FrontdeskError, NotFound
from frontdesk.storage.conversations import get_conversation, list_conversations, list_messages
from frontdesk.storage.ids import iso
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry

SCHEME = "frontdesk://"
CATALOG_URI = f"{SCHEME}catalog"
CONVERSATIONS = f"{SCHEME}conversations/"
CONTACTS = f"{SCHEME}contacts/"
JSON = "application/json"
RECENT_CONVERSATIONS = 20
MAX_MESSAGES = 500

TEMPLATES = [
    types.ResourceTemplate(
        name="conversation",
        title="Conversation",
        uri_template=CONVERSATIONS + "{conversation_id}",
        description="One of your conversations with frontdesk (any door) and its messages, oldest first.",
        mime_type=JSON,
    ),
    types.ResourceTemplate(
        name="contact",
        title="CRM contact",
        uri_template=CONTACTS + "{contact_id}",
        description="One contact of your account's CRM with its tags, notes and leads.",
        mime_type=JSON,
    ),
]


def _not_found(uri: str) -> MCPError:
    return MCPError(types.INVALID_PARAMS, f"Resource not found: {uri}", {"uri": uri})


def _contents(uri: str, payload: Any) -> types.ReadResourceResult:
    text = json.dumps(payload, ensure_ascii=False, default=str)
    return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=JSON, text=text)])


class ResourceShelf:
    """`resources/list`, `resources/templates/list`, `resources/read` and id completion."""

    def __init__(self, registry: ToolRegistry) -> None:
        self._registry = registry

    async def list(self, ctx: ToolContext) -> list[types.Resource]:
        resources = []
        if "data_catalog" in self._registry.names() and ctx.principal.can(
            self._registry.get("data_catalog").permission
        ):
            resources.append(
                types.Resource(
                    name="catalog",
                    title="Data catalog",
                    uri=CATALOG_URI,
                    description="The datasets of your account the data explorer can query, with columns.",
                    mime_type=JSON,
                )
            )
        async with ctx.db.session() as s:
            rows, _ = await list_conversations(s, ctx.principal, limit=RECENT_CONVERSATIONS, offset=0)
        for conv, count in rows:
            resources.append(
                types.Resource(
                    name=conv.id,
                    title=conv.title or f"Conversation of {iso(conv.created_at)}",
                    uri=CONVERSATIONS + conv.id,
                    description=f"{count} messages over {conv.channel}, last at {iso(conv.updated_at)}",
                    mime_type=JSON,
                )
            )
        return resources

    async def read(self, ctx: ToolContext, uri: str) -> types.ReadResourceResult:
        try:
            if uri == CATALOG_URI:
                return _contents(uri, await self._registry.call("data_catalog", {}, ctx))
            if uri.startswith(CONVERSATIONS) and len(uri) > len(CONVERSATIONS):
                return _contents(uri, await self._conversation(ctx, uri.removeprefix(CONVERSATIONS)))
            if uri.startswith(CONTACTS) and len(uri) > len(CONTACTS):
                contact_id = uri.removeprefix(CONTACTS)
                detail = await self._registry.call("get_contact_detail", {"contact_id": contact_id}, ctx)
                return _contents(uri, detail)
        except NotFound:
            raise _not_found(uri) from None
        except FrontdeskError as e:
            raise MCPError(types.INVALID_PARAMS, e.detail, {"uri": uri}) from e
        raise _not_found(uri)

    async def _conversation(self, ctx: ToolContext, conversation_id: str) -> dict[str, Any]:
        async with ctx.db.session() as s:
            conv = await get_conversation(s, ctx.principal, conversation_id)
            messages, total = await list_messages(s, conv.id, limit=MAX_MESSAGES, offset=0)
        return {
            "id": conv.id,
            "title": conv.title,
            "channel": conv.channel,
            "department": conv.department,
            "created_at": iso(conv.created_at),
            "updated_at": iso(conv.updated_at),
            "total_messages": total,
            "messages": [
                {
                    "id": m.id,
                    "role": m.role,
                    "content": m.content,
                    "agent_used": m.agent_used,
                    "channel": m.channel,
                    "created_at": iso(m.created_at),
                }
                for m in messages
            ],
        }

    async def complete(self, ctx: ToolContext, uri_template: str, argument: str, value: str) -> list[str]:
        """Ids of the principal's recent conversations starting with `value` (cheap; contacts: none)."""
        if uri_template != TEMPLATES[0].uri_template or argument != "conversation_id":
            return []
        async with ctx.db.session() as s:
            rows, _ = await list_conversations(s, ctx.principal, limit=100, offset=0)
        return [conv.id for conv, _ in rows if conv.id.startswith(value)]
