"""MIA quick insights: `POST /api/quick-insights/{grow|optimize|protect|summary}` and `/stream`.

The analysis is `tools.ads.insights.marketing_advice` (the same tool chat and MCP call); the prose
is written from its facts by the configured model, or by the template offline
(`agent.insight_prose`). Streams are SSE: `data: {"chunk": ..., "done": false}` frames, then one
`{"chunk": "", "done": true, "total_tokens": n, ...}`; failures found before the first byte
(permission, validation) are plain 4xx. `session_id` / `user_id` are accepted and not used.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from frontdesk.agent.insight_prose import InsightWriter
from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors, event_stream
from frontdesk.api.schemas.insights import InsightsIn, QuickInsightsOut
from frontdesk.api.services import Services
from frontdesk.channels.web import SSE_HEADERS
from frontdesk.tools.ads.insights import marketing_advice
from frontdesk.tools.base import ToolContext
from frontdesk.types import Principal

router = APIRouter(prefix="/api/quick-insights", tags=["insights"])
Lens = Literal["grow", "optimize", "protect", "summary"]
PLATFORM_NAMES = {"meta": "meta_ads"}
WHAT = {
    "grow": "growth opportunities (where to move or add budget)",
    "optimize": "optimization recommendations (what to pause or cut)",
    "protect": "the risks to protect against (costs rising, click-through falling)",
    "summary": "an executive summary",
}


def platforms(names: list[str] | None) -> list[Any] | None:
    return sorted({PLATFORM_NAMES.get(p, p) for p in names}) if names else None


def writer(services: Services) -> InsightWriter:
    """The prose writer: the configured real model (`services.filter_model`), else the template."""
    return InsightWriter(services.filter_model)


async def analyse(services: Services, principal: Principal, lens: Lens, body: InsightsIn) -> dict[str, Any]:
    ctx = ToolContext(principal, services.db, services.settings)
    return await marketing_advice(ctx, lens, body.date_range, platforms(body.platforms))


def frame(n: int, payload: dict[str, Any]) -> str:
    return f"id: {n}\nevent: message\ndata: {json.dumps(payload, default=str, separators=(',', ':'))}\n\n"


async def prose_frames(
    prose: InsightWriter, report: dict[str, Any], what: str, final: dict[str, Any]
) -> AsyncIterator[str]:
    """SSE frames of the prose of `report`, then the `done` frame carrying `final`."""
    n = 0
    async for chunk in prose.stream(report, report["insights"], what):
        n += 1
        yield frame(n, {"chunk": chunk, "done": False})
    done = {"chunk": "", "done": True, "total_tokens": prose.tokens, "written_by": prose.written_by}
    yield frame(n + 1, done | final)


@router.post("/{lens}", response_model=QuickInsightsOut, responses=errors(400, 401, 403, 404, 422))
async def quick_insights(
    lens: Lens, body: InsightsIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """Recommendations for the lens, each naming the campaign, its numbers and the expected effect."""
    report = await analyse(services, principal, lens, body)
    prose = writer(services)
    report["insights"] = await prose.text(report, report["insights"], WHAT[lens])
    report["written_by"] = prose.written_by
    return report


@router.post(
    "/{lens}/stream",
    response_class=StreamingResponse,
    responses=event_stream("The prose as `chunk`s, then `done`") | errors(400, 401, 403, 404, 422),
)
async def quick_insights_stream(
    lens: Lens, body: InsightsIn, principal: CurrentPrincipal, services: ServicesDep
) -> StreamingResponse:
    """The same analysis; its prose streamed. The `done` frame carries the recommendations."""
    report = await analyse(services, principal, lens, body)
    final = {"insight_type": lens, "recommendations": report["recommendations"]}
    frames = prose_frames(writer(services), report, WHAT[lens], final)
    return StreamingResponse(frames, media_type="text/event-stream", headers=SSE_HEADERS)
