"""`GET /metrics`: the Prometheus text exposition (series listed in `frontdesk/metrics.py`).

Who may scrape: with `FRONTDESK_METRICS_TOKEN` set, anyone sending `Authorization: Bearer <token>`
(and nobody else). Unset, only loopback clients whose request came through no proxy (no
`X-Forwarded-For`/`Forwarded` header): a Prometheus on the same host, or a sidecar. Metrics name
no user or message, but routes and volumes are still not for the public.
"""

from __future__ import annotations

import ipaddress
import secrets

from fastapi import APIRouter, Request, Response
from sqlalchemy import func, select

from frontdesk import metrics
from frontdesk.api.deps import ServicesDep, client_ip
from frontdesk.api.openapi import errors
from frontdesk.api.services import Services
from frontdesk.errors import Forbidden, Unauthenticated
from frontdesk.storage.helper_models import Execution
from frontdesk.storage.job_models import Job

router = APIRouter(tags=["operations"])
_EXAMPLE = (
    "# HELP frontdesk_http_requests_total HTTP requests answered\n"
    "# TYPE frontdesk_http_requests_total counter\n"
    'frontdesk_http_requests_total{method="POST",route="/chat/send",status="200"} 3.0\n'
)


def check_scraper(request: Request, services: Services) -> None:
    """Raise unless the caller may read /metrics (see the module docstring)."""
    token = services.settings.metrics_token
    if token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip(), token):
            raise Unauthenticated("/metrics needs the FRONTDESK_METRICS_TOKEN bearer token")
        return
    proxied = "x-forwarded-for" in request.headers or "forwarded" in request.headers
    try:
        loopback = ipaddress.ip_address(client_ip(request, services.settings.trusted_proxies)).is_loopback
    except ValueError:
        loopback = False
    if proxied or not loopback:
        raise Forbidden("/metrics answers loopback clients only; set FRONTDESK_METRICS_TOKEN to scrape it")


async def _read_queues(services: Services) -> None:
    """Set the queue gauges from the store (what is waiting now, in every process)."""
    async with services.db.session() as s:
        rows = await s.execute(
            select(Job.queue, func.count()).where(Job.status == "queued").group_by(Job.queue)
        )
        queued = await s.scalar(select(func.count()).where(Execution.status == "queued"))
    metrics.JOB_QUEUE_DEPTH.clear()
    metrics.JOB_QUEUE_DEPTH.labels(services.settings.job_queue).set(0)
    for queue, count in rows.all():
        metrics.JOB_QUEUE_DEPTH.labels(queue).set(count)
    metrics.HELPER_QUEUE_DEPTH.set(queued or 0)


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={
        200: {
            "description": "The Prometheus text format (version 0.0.4)",
            "content": {"text/plain": {"schema": {"type": "string"}, "example": _EXAMPLE}},
        },
        **errors(401, 403),
    },
)
async def read_metrics(request: Request, services: ServicesDep) -> Response:
    """Request counts and latency by route, turns by door/department/outcome, tool calls and errors
    by tool, model latency and tokens by provider, job queue depth, and open SSE/WebSocket
    connections. Open to loopback clients, or to anyone with `FRONTDESK_METRICS_TOKEN`."""
    check_scraper(request, services)
    await _read_queues(services)
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
