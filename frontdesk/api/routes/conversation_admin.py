"""`PATCH /chat/conversations/{id}`: rename a conversation (the web page's sidebar).

Kept beside `chat.py` (which owns creating, listing, reading and deleting) until the two are merged.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.chat import conversation_public
from frontdesk.api.schemas.chat import ConversationPublic
from frontdesk.storage.conversation_titles import MAX_TITLE_CHARS, rename_conversation

router = APIRouter(prefix="/chat", tags=["chat"])


class ConversationRename(BaseModel):
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)


@router.patch(
    "/conversations/{conversation_id}",
    response_model=ConversationPublic,
    responses=errors(400, 401, 404, 422),
)
async def rename(
    conversation_id: str, body: ConversationRename, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Rename the conversation (whitespace is collapsed; a blank title is 400). Its place in the
    newest-first list does not change."""
    conv = await services.db.run_write(
        lambda s: rename_conversation(s, principal, conversation_id, body.title)
    )
    return conversation_public(conv)
