"""`GET /chat/suggestions`: example questions for an empty chat, from the account's own data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from frontdesk.agent.suggestions import suggest_questions
from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.base import Public

router = APIRouter(prefix="/chat", tags=["chat"])


class Suggestions(Public):
    questions: list[str]


@router.get("/suggestions", response_model=Suggestions, responses=errors(401))
async def suggestions(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Up to four questions about the account's own tags, leads and connections (generic ones
    where it has no data yet), phrased so that the agents answer them."""
    return {"questions": await suggest_questions(services.db, principal)}
