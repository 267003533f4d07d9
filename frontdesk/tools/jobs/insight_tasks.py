"""MIA async insights: `grow`, `optimize` and `protect` tasks on the job queue.

A task runs the same analysis as `POST /api/v1/insights/quick` (`tools/ads/insights.quick_insights`,
as the user who asked) and adds the lens's reading of its facts: `grow` the metrics moving the
right way, `optimize` the efficiency metrics (CTR, CPC, CPA, ROAS, engagement rate), `protect` the
metrics moving the wrong way. `recommendations` are `marketing_advice`'s for the lens — the same
as `POST /api/quick-insights/{lens}` — and `insights` is their template text followed by the
selected facts as lines (the task writes no model prose; the quick-insights routes do).
"""

from __future__ import annotations

from typing import Any, Literal

from frontdesk.config import Settings
from frontdesk.errors import NotFound
from frontdesk.storage import jobs as rows
from frontdesk.storage.accounts import load_identity
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso
from frontdesk.tools.ads.insights import marketing_advice, quick_insights
from frontdesk.tools.base import ToolContext
from frontdesk.tools.jobs.queue import JobQueue, JobRun

KIND = "insight_task"
Lens = Literal["grow", "optimize", "protect"]
EFFICIENCY = frozenset({"ctr", "cpc", "cpa", "roas", "engagement_rate"})
PLATFORM_NAMES = {"meta": "meta_ads", "google": "google_ads"}
STATUSES = {"queued": "pending", "running": "processing"}
MESSAGES = {
    "pending": "Task queued for processing",
    "processing": "Analyzing your ad and analytics data...",
    "completed": "Done",
    "failed": "The analysis failed",
    "cancelled": "Cancelled",
}


def lens_facts(lens: str, facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if lens == "grow":
        return [f for f in facts if f["sentiment"] == "positive"]
    if lens == "protect":
        return [f for f in facts if f["sentiment"] == "negative"]
    return [f for f in facts if f["key"] in EFFICIENCY]


def _line(fact: dict[str, Any]) -> str:
    change = f" ({fact['change']} {fact['period']})" if fact.get("change") else ""
    return f"{fact['platform']} {fact['metric']}: {fact['value']}{change}"


async def start(
    ctx: ToolContext, queue: JobQueue, lens: Lens, date_range: str, platforms: list[str] | None
) -> dict[str, Any]:
    ctx.require("can_view_analytics")
    wanted = sorted({PLATFORM_NAMES.get(p, p) for p in platforms}) if platforms else None
    task_id = await queue.submit(
        KIND,
        {"lens": lens, "date_range": date_range, "platforms": wanted},
        account_id=ctx.principal.account_id,
        user_id=ctx.principal.user_id,
        budget_seconds=120,
    )
    return {"success": True, "task_id": task_id, "status": "pending", "message": MESSAGES["pending"]}


async def status(ctx: ToolContext, task_id: str) -> dict[str, Any]:
    async with ctx.db.session() as s:
        job = await rows.get_job(s, task_id, ctx.principal.account_id)
    if job.kind != KIND or job.user_id != ctx.principal.user_id:
        raise NotFound("Task not found")
    state = STATUSES.get(job.status, job.status)
    return {
        "task_id": job.id,
        "status": state,
        "progress": job.progress,
        "message": job.error if state == "failed" and job.error else MESSAGES.get(state, state),
        "result": job.result if state == "completed" else None,
        "created_at": iso(job.created_at),
        "completed_at": iso(job.finished_at),
    }


async def cancel(ctx: ToolContext, queue: JobQueue, task_id: str) -> dict[str, Any]:
    """Best effort, as the seed says: a task that already ended keeps its status."""
    await status(ctx, task_id)  # 404 unless it is the caller's
    await queue.cancel(task_id)
    return await status(ctx, task_id)


class InsightTasks:
    """The `insight_task` job handler."""

    def __init__(self, db: Database, settings: Settings, queue: JobQueue) -> None:
        self.db, self.settings = db, settings
        queue.register(KIND, self.run)

    async def run(self, run: JobRun) -> dict[str, Any]:
        async with self.db.session() as s:
            identity = await load_identity(s, run.user_id or "", run.account_id)
        ctx = ToolContext(identity.principal("scheduler"), self.db, self.settings)
        await run.progress(10)
        report = await quick_insights(ctx, run.payload["date_range"], run.payload.get("platforms"))
        await run.progress(50)
        lens = run.payload["lens"]
        advice = await marketing_advice(ctx, lens, run.payload["date_range"], run.payload.get("platforms"))
        await run.progress(90)
        chosen = lens_facts(lens, report["facts"])
        lines = [_line(f) for f in chosen] or [f"Nothing to report for {lens} in this period."]
        return {
            "insight_type": lens,
            "insights": advice["insights"] + "\n\nHeadline metrics:\n" + "\n".join(lines),
            "recommendations": advice["recommendations"],
            "platforms_analyzed": report["platforms_analyzed"],
            "date_range": report["date_range"],
            "facts": chosen,
            "analysis": report,
        }
