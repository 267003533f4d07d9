"""`/api/v1/message-history/search/` (Services API shape): message search over the conversation
store. Owners and admins search the account; other roles their own conversations. `q` takes
AND, OR, NOT, "phrases", prefix* and parentheses; a malformed query is a 400 with `detail`."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.search import SearchOut
from frontdesk.storage.search_query import MAX_QUERY_CHARS
from frontdesk.tools.base import ToolContext
from frontdesk.tools.search import MAX_PAGE, MessageRole, search_messages
from frontdesk.types import Channel

router = APIRouter(prefix="/api/v1/message-history", tags=["search"])


@router.get("/search/", response_model=SearchOut, responses=errors(400, 401, 403, 422))
async def search(
    principal: CurrentPrincipal,
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    role: MessageRole | None = None,
    channel: Channel | None = None,
    conversation_id: Annotated[str | None, Query(max_length=64)] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Search the account's message history with AND / OR / NOT, narrowed by channel, conversation
    and dates; paged."""
    return await search_messages(
        ToolContext(principal, services.db, services.settings),
        q=q,
        role=role,
        channel=channel,
        conversation_id=conversation_id,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )
