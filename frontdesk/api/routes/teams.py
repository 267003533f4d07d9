"""`POST /webhooks/teams` (Mezzofy): Bot Framework activities from Microsoft Teams. The same endpoint
answers at `/api/messages` (the Bot Framework default), shared with the CRM MVP messages API:
`routes/messages.py` hands activities over to `receive_activity`.

Every call is authenticated as the Bot Connector does (`channels/teams_auth.py`): 401 for a
missing or invalid token, 403 when the token's `serviceurl` is not the activity's `serviceUrl` or
that host is not allowed. Nothing is sent for a refused call. An accepted activity is answered
202 at once; the reply goes to the Bot Connector when the agent is done.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from microsoft_agents.activity import Activity
from pydantic import ValidationError

from frontdesk.api.deps import ServicesDep
from frontdesk.api.doors import TEAMS_PATHS
from frontdesk.api.openapi import errors
from frontdesk.api.services import Services
from frontdesk.errors import ToolFailure

router = APIRouter(tags=["teams"])
ACCEPTED = {202: {"description": "Authenticated and accepted; the reply is sent to the Bot Connector"}}


async def receive_activity(request: Request, services: Services, body: Any = None) -> Response:
    """Authenticate the Bot Connector's call, then hand the activity to the Teams door."""
    doors = services.doors
    if doors is None or doors.teams is None or doors.teams_auth is None:
        missing = ", ".join(doors.teams_missing if doors else []) or "the Teams settings"
        raise HTTPException(503, f"Teams is not configured on this server: set {missing}")
    try:
        claims = await doors.teams_auth.verify(request.headers.get("Authorization"))
    except ToolFailure as e:
        raise HTTPException(503, f"Could not read the Bot Framework signing keys: {e.detail}") from e
    if body is None:
        try:
            body = json.loads(await request.body())
        except ValueError as e:
            raise HTTPException(400, "The body is not a JSON activity") from e
    try:
        activity = Activity.model_validate(body)
    except ValidationError as e:
        raise HTTPException(400, f"Not a Bot Framework activity: {e.error_count()} invalid fields") from e
    doors.teams_auth.check_service_url(claims, activity.service_url)
    doors.teams.connector.check_service_url(activity.service_url)
    doors.teams.accept(activity)
    return Response(status_code=202)


@router.post(
    TEAMS_PATHS[0], response_class=Response, status_code=202, responses=ACCEPTED | errors(400, 401, 403, 503)
)
async def teams_webhook(request: Request, services: ServicesDep) -> Response:
    """A Bot Framework activity (`message`, `conversationUpdate`, ...) with the Bot Connector's
    bearer token."""
    return await receive_activity(request, services)
