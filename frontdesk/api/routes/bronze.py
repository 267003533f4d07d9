"""MIA bronze tier: `POST /api/bronze/highlight` (instant template facts, no model) and
`POST /api/bronze/followup` (why a fact moved: the campaigns behind it, worded by the configured
model or the template). `session_id` is accepted and not used."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from frontdesk.api.deps import CurrentPrincipal, ServicesDep
from frontdesk.api.openapi import errors
from frontdesk.api.routes.quick_insights import platforms, writer
from frontdesk.api.schemas.insights import FollowupIn, FollowupOut, HighlightIn, HighlightOut
from frontdesk.tools.ads.fact_drivers import explain_metric
from frontdesk.tools.ads.insights import quick_insights
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs.insight_tasks import lens_facts

router = APIRouter(prefix="/api/bronze", tags=["insights"])


@router.post("/highlight", response_model=HighlightOut, responses=errors(400, 401, 403, 422))
async def highlight(body: HighlightIn, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The period's facts read through the lens: grow the metrics moving the right way, protect
    those moving the wrong way, optimize the efficiency metrics, summary all of them."""
    started = time.perf_counter()
    ctx = ToolContext(principal, services.db, services.settings)
    report = await quick_insights(ctx, body.date_range, platforms(body.platforms))
    facts = (
        report["facts"]
        if body.highlight_type == "summary"
        else lens_facts(body.highlight_type, report["facts"])
    )
    return {
        "success": True,
        "highlight_type": body.highlight_type,
        "date_range": report["date_range"],
        "facts": facts,
        "response_time_ms": round((time.perf_counter() - started) * 1000),
    }


@router.post("/followup", response_model=FollowupOut, responses=errors(400, 401, 403, 422))
async def followup(body: FollowupIn, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The fact's metric now and before, and the campaigns that moved it most, as an answer."""
    ctx = ToolContext(principal, services.db, services.settings)
    found = await explain_metric(ctx, body.fact_context.metric, body.date_range)
    prose = writer(services)
    question = body.question.strip() or f"Why did {body.fact_context.metric} move?"
    what = f"a short answer to the question {question!r}"
    analysis = await prose.text(found, found["analysis"], what)
    return {
        "success": True,
        "metric": found["key"],
        "fact": found["fact"],
        "movers": found["movers"],
        "analysis": analysis,
        "written_by": prose.written_by,
    }
