"""Inbound webhooks (Mezzofy): `POST /webhooks/mezzofy`, `POST /webhooks/custom/{source}` (zapier,
github, stripe), addressed to an account with `?account_id=`, and `POST /webhooks/secrets/{source}`
(a new signing secret for the caller's account) — see `tools/webhooks/inbound.py`.

The receivers take no bearer token: the signature over the raw body is the credential (401 when it
is missing or wrong, also for an unknown account). They answer at once; processing is a job."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.jobs import InboundSecretOut, Received
from frontdesk.tools.base import ToolContext
from frontdesk.tools.webhooks import inbound

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
AccountId = Annotated[str, Query(min_length=1, max_length=64, description="The account the event is for.")]
CustomSource = Literal["zapier", "github", "stripe"]
_SIGNED = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
        "description": "`{event, event_id, data, timestamp}` (GitHub and Stripe: their own payloads).",
    }
}


async def _receive(request: Request, services: ServicesDep, source: str, account_id: str) -> dict[str, Any]:
    assert services.background is not None
    return await inbound.receive(
        services.db,
        services.background.queue,
        services.background.inbound_limiter,
        services.secret,
        source=source,
        account_id=account_id,
        body=await request.body(),
        headers=request.headers,
    )


@router.post("/mezzofy", response_model=Received, responses=errors(400, 401, 422, 429), openapi_extra=_SIGNED)
async def mezzofy(request: Request, services: ServicesDep, account_id: AccountId) -> dict[str, Any]:
    """Signed with `X-Webhook-Signature` (hex HMAC-SHA256 of the raw body, `sha256=` optional).
    A repeated `event_id` is acknowledged, not processed again. 100 events a minute per account."""
    return await _receive(request, services, "mezzofy", account_id)


@router.post(
    "/custom/{source}",
    response_model=Received,
    responses=errors(400, 401, 404, 422, 429),
    openapi_extra=_SIGNED,
)
async def custom(
    source: CustomSource, request: Request, services: ServicesDep, account_id: AccountId
) -> dict[str, Any]:
    """`X-Webhook-Signature`, or GitHub's `X-Hub-Signature-256`, or Stripe's `Stripe-Signature`
    (5-minute tolerance). Events are stored; only Mezzofy events act on the CRM."""
    return await _receive(request, services, source, account_id)


@router.post("/secrets/{source}", response_model=InboundSecretOut, responses=errors(401, 403, 404, 422))
async def new_secret(
    source: Literal["mezzofy", "zapier", "github", "stripe"],
    principal: CurrentPrincipal,
    services: ServicesDep,
) -> dict[str, Any]:
    """A new signing secret for `source` on the caller's account (the old one stops working); it is
    shown only in this answer."""
    return await inbound.new_secret(ToolContext(principal, services.db, services.settings), source)
