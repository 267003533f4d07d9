"""MIA intelligence snapshot: `POST /api/snapshot/generate` and `POST /api/snapshot/stream`.

Every platform's totals, the headline facts and the top recommendation of each lens
(`tools.ads.snapshot`); the prose is the configured model's or the template's. The stream sends
the prose as `chunk`s and ends with `done`, whose `snapshot` is the full body.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors, event_stream
from frontdesk.api.routes.quick_insights import WHAT, platforms, prose_frames, writer
from frontdesk.api.schemas.insights import InsightsIn, SnapshotOut
from frontdesk.channels.web import SSE_HEADERS
from frontdesk.tools.ads.snapshot import intelligence_snapshot
from frontdesk.tools.base import ToolContext

router = APIRouter(prefix="/api/snapshot", tags=["insights"])


@router.post("/generate", response_model=SnapshotOut, responses=errors(400, 401, 403, 422))
async def generate(body: InsightsIn, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The snapshot of every connected platform for the period."""
    ctx = ToolContext(principal, services.db, services.settings)
    snapshot = await intelligence_snapshot(ctx, body.date_range, platforms(body.platforms))
    prose = writer(services)
    snapshot["insights"] = await prose.text(snapshot, snapshot["insights"], WHAT["summary"])
    snapshot["written_by"] = prose.written_by
    return {"success": True, "snapshot": snapshot}


@router.post(
    "/stream",
    response_class=StreamingResponse,
    responses=event_stream("The prose as `chunk`s, then `done` with the snapshot")
    | errors(400, 401, 403, 422),
)
async def stream(body: InsightsIn, principal: CurrentPrincipal, services: ServicesDep) -> StreamingResponse:
    """The same snapshot; its prose streamed as `chunk`s, the full body in the `done` event."""
    """Stream a written account snapshot as Server-Sent Events: prose `chunk`s, then `done` with
    the snapshot's figures."""
    ctx = ToolContext(principal, services.db, services.settings)
    snapshot = await intelligence_snapshot(ctx, body.date_range, platforms(body.platforms))
    frames = prose_frames(writer(services), snapshot, WHAT["summary"], {"snapshot": snapshot})
    return StreamingResponse(frames, media_type="text/event-stream", headers=SSE_HEADERS)
