"""What a scheduled job can do besides an agent turn (`agent_task` lives in `agent/scheduled.py`):
each is `async (ToolContext, params) -> dict` with a `summary` line for the owner's notification,
run as the job's owner, so the owner's permissions apply."""

from __future__ import annotations

from typing import Any

from frontdesk.tools.ads.insights import quick_insights
from frontdesk.tools.base import ToolContext
from frontdesk.tools.explorer.sync import sync_account
from frontdesk.tools.helpers.tools import invoke_helper
from frontdesk.tools.jobs.schedule import TaskFn


async def helper_run(ctx: ToolContext, params: dict[str, Any]) -> dict[str, Any]:
    """Queue the helper's execution (the helper worker runs it, as for `POST /helpers/{id}/execute`)."""
    execution = await invoke_helper(ctx, params["helper_id"], params.get("contact_id"), params.get("input"))
    return {"summary": f"Helper run queued as {execution['execution_id']}", "execution": execution}


async def data_sync(ctx: ToolContext, params: dict[str, Any]) -> dict[str, Any]:
    """Sync the account's connections (or one) into the data lake."""
    ctx.require("crm.read")
    report = await sync_account(ctx.db, ctx.settings, ctx.principal.account_id, params.get("connection_id"))
    out = report.public()
    return {"summary": f"Synced {out['objects']} objects ({len(out['skipped'])} skipped)", "sync": out}


async def insight_report(ctx: ToolContext, params: dict[str, Any]) -> dict[str, Any]:
    """The instant insight facts of the period (`POST /api/v1/insights/quick`)."""
    report = await quick_insights(ctx, params.get("date_range", "7_days"), params.get("platforms"))
    lines = [
        f"{f.get('platform', '')} {f.get('metric', '')}: {f.get('value', '')}" for f in report["facts"][:5]
    ]
    return {"summary": "; ".join(lines) or "No ad data for the period", "report": report}


TASKS: dict[str, TaskFn] = {
    "helper_run": helper_run,
    "data_sync": data_sync,
    "insight_report": insight_report,
}
