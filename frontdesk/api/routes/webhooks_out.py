"""`/api/webhooks` (CRM MVP): outbound webhook subscriptions and their delivery log — see
`tools/webhooks/outbound.py`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.jobs import DeliveryList, WebhookCreate, WebhookCreated, WebhookList
from frontdesk.tools.base import ToolContext
from frontdesk.tools.webhooks import outbound

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


@router.get("", response_model=WebhookList, responses=errors(401, 403))
async def list_webhooks(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The account's outbound webhook subscriptions (secrets never shown)."""
    return await outbound.list_subscriptions(ToolContext(principal, services.db, services.settings))


@router.post("", status_code=201, response_model=WebhookCreated, responses=errors(400, 401, 403, 422))
async def create_webhook(
    body: WebhookCreate, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Subscribe a URL; the signing `secret` is in this answer only. Private, loopback and metadata
    addresses are refused (400) unless the host is in `FRONTDESK_OUTBOUND_ALLOWED_HOSTS`."""
    assert services.background is not None
    ctx = ToolContext(principal, services.db, services.settings)
    return await outbound.create_subscription(ctx, services.background.http, body.url, list(body.events))


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404))
async def delete_webhook(webhook_id: str, principal: CurrentPrincipal, services: ServicesDep) -> Response:
    """Delete an outbound webhook subscription of the account."""
    await outbound.delete_subscription(ToolContext(principal, services.db, services.settings), webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryList, responses=errors(401, 403, 404, 422))
async def list_deliveries(
    webhook_id: str,
    principal: CurrentPrincipal,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """Newest first: each attempt with its HTTP status and latency."""
    ctx = ToolContext(principal, services.db, services.settings)
    return await outbound.list_deliveries(ctx, webhook_id, limit)
