"""Message search over the conversation store (Services API: message history search).

Who sees what: an Owner or Admin searches every conversation of the account; any other role
searches only the conversations they own. Every search is scoped to the principal's account.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from frontdesk.errors import Invalid
from frontdesk.paging import page_fields
from frontdesk.storage import search as store
from frontdesk.storage.ids import iso
from frontdesk.storage.search_query import MAX_QUERY_CHARS, parse_query
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry
from frontdesk.types import Channel, Principal

MAX_PAGE = 100
ACCOUNT_WIDE_ROLES = frozenset({"Owner", "Admin"})
MessageRole = Literal["user", "assistant", "system", "tool"]


def search_scope(
    principal: Principal,
    *,
    role: str | None = None,
    channel: str | None = None,
    conversation_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> store.SearchScope:
    if date_from and date_to and date_from > date_to:
        raise Invalid("date_from is after date_to")
    return store.SearchScope(
        account_id=principal.account_id,
        user_id=None if principal.role in ACCOUNT_WIDE_ROLES else principal.user_id,
        role=role,
        channel=channel,
        conversation_id=conversation_id,
        created_from=datetime.combine(date_from, time.min, UTC) if date_from else None,
        created_to=datetime.combine(date_to + timedelta(days=1), time.min, UTC) if date_to else None,
    )


async def search_messages(
    ctx: ToolContext,
    q: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description='Words to find. AND is implied; OR, NOT (or -word), "exact phrase", prefix*, '
            "and parentheses, e.g. (refund OR return) NOT spam.",
        ),
    ],
    role: Annotated[MessageRole | None, Field(description="Only messages by this role.")] = None,
    channel: Annotated[Channel | None, Field(description="Only messages that came in on this door.")] = None,
    conversation_id: Annotated[str | None, Field(description="Only this conversation.")] = None,
    date_from: Annotated[date | None, Field(description="Sent on or after this day (UTC).")] = None,
    date_to: Annotated[date | None, Field(description="Sent on or before this day (UTC).")] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE, description=f"Page size, 1-{MAX_PAGE}.")] = 20,
    offset: Annotated[int, Field(ge=0, description="Matches to skip.")] = 0,
) -> dict[str, Any]:
    """Search the conversation history for messages matching a query, best matches first.

    Owners and admins search the whole account; other roles search their own conversations."""
    ctx.require("chat")
    query = parse_query(q)
    scope = search_scope(
        ctx.principal,
        role=role,
        channel=channel,
        conversation_id=conversation_id,
        date_from=date_from,
        date_to=date_to,
    )
    async with ctx.db.session() as s:
        hits, total = await store.search_messages(s, query, scope, limit=limit, offset=offset)
    return {
        "success": True,
        "query": q,
        "scope": "account" if scope.user_id is None else "own",
        "count": len(hits),
        **page_fields(total, limit, offset, len(hits)),
        "data": [
            {
                "id": h.message.id,
                "conversation_id": h.message.conversation_id,
                "conversation_title": h.conversation_title,
                "user_id": h.user_id,
                "role": h.message.role,
                "channel": h.message.channel,
                "content": h.message.content,
                "type": "text",
                "created_at": iso(h.message.created_at),
                "score": h.score,
            }
            for h in hits
        ],
    }


def register(registry: ToolRegistry) -> None:
    registry.add(search_messages, permission="chat")
