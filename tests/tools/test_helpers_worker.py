"""Helper executions on the job queue (a queued execution's job runs it; crash recovery: interrupted
runs failed, queued executions without a job adopted; exclusive claims; run budget) and the helper
tools in the registry (permissions, isolation, input checks)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import respx
from sqlalchemy import func, select

from frontdesk.config import Settings
from frontdesk.errors import Forbidden, Invalid, NotFound, TooLarge
from frontdesk.storage.db import Database
from frontdesk.storage.helper_executions import helper_job_id
from frontdesk.storage.helper_models import Execution, HelperNotification
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.job_models import Job
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers import manage
from frontdesk.tools.helpers.net import OutboundHttp
from frontdesk.tools.helpers.worker import ExecutionWorker
from frontdesk.tools.jobs.queue import JobQueue
from frontdesk.tools.registry import default_registry
from frontdesk.types import ROLE_PERMISSIONS, Principal
from tests.conftest import new_identity
from tests.tools.test_helpers_types import add_contact, finished, run_here

REG = default_registry()


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    return ToolContext((await new_identity(db, "Worker")).principal(), db, settings)


def jobs_of(ctx: ToolContext) -> tuple[JobQueue, ExecutionWorker]:
    """The job queue the tools write to (`settings.job_queue`), running helper executions."""
    queue = JobQueue(ctx.db, queue=ctx.settings.job_queue, poll_seconds=0.05)
    worker = ExecutionWorker(ctx.db)
    worker.install(queue)
    return queue, worker


async def test_the_job_queue_runs_what_the_tool_queues(ctx: ToolContext) -> None:
    cid = await add_contact(ctx.db, ctx.principal.account_id, "Queue", "Me")
    helper = await manage.create_helper(ctx, name="tag", helper_type="tag_it", config={"tag_name": "bg"})
    queue, worker = jobs_of(ctx)
    await worker.start()
    await queue.start()
    try:
        queued = await REG.call("invoke_helper", {"helper_id": helper["helper_id"], "contact_id": cid}, ctx)
        assert queued["status"] == "queued" and queued["execution_id"].startswith("exec:")
        done = await finished(ctx, queued["execution_id"])
        async with ctx.db.session() as s:  # it ran as the execution's own job
            job = await s.get(Job, helper_job_id(queued["execution_id"]))
            assert job is not None and job.kind == "helper_execution"
            assert job.user_id == ctx.principal.user_id
    finally:
        await queue.stop()
        await worker.stop()
    assert not worker.running
    assert done["status"] == "completed" and done["output"]["added"] == ["bg"]
    assert done["started_at"] <= done["completed_at"] and done["user_id"] == ctx.principal.user_id
    counted = await REG.call("get_helper_config", {"helper_id": helper["helper_id"]}, ctx)
    assert counted["execution_count"] == 1 and counted["last_executed_at"] is not None


async def test_start_fails_interrupted_runs_and_runs_queued_ones(ctx: ToolContext) -> None:
    cid = await add_contact(ctx.db, ctx.principal.account_id, "Crash", "Test")
    helper = await manage.create_helper(ctx, name="tag", helper_type="tag_it", config={"tag_name": "after"})
    hour_ago = utcnow() - timedelta(hours=1)
    rows = {
        "running": Execution(id=new_id("exec"), status="running", started_at=hour_ago, created_at=hour_ago),
        "queued": Execution(id=new_id("exec"), status="queued", created_at=hour_ago, contact_id=cid),
    }
    async with ctx.db.session() as s:  # what a crashed process leaves behind
        for row in rows.values():
            row.account_id, row.helper_id, row.input = ctx.principal.account_id, helper["helper_id"], {}
            s.add(row)
        await s.commit()
    queue, worker = jobs_of(ctx)
    await worker.start()  # the queued execution has no job (an older version queued it): it gets one
    await queue.start()
    try:
        interrupted = await REG.call("get_execution", {"execution_id": rows["running"].id}, ctx)
        assert interrupted["status"] == "failed" and "Interrupted" in interrupted["error_message"]
        recovered = await finished(ctx, rows["queued"].id)
        assert (await worker.sweep())[1] == 0  # adopted once
    finally:
        await queue.stop()
        await worker.stop()
    assert recovered["status"] == "completed" and recovered["output"]["added"] == ["after"]


async def test_two_workers_never_run_one_execution_twice(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    helper = await manage.create_helper(ctx, name="n", helper_type="notify", config={"title": "hi"})
    ids = [
        (await REG.call("invoke_helper", {"helper_id": helper["helper_id"]}, ctx))["execution_id"]
        for _ in range(6)
    ]
    ran = await asyncio.gather(ExecutionWorker(ctx.db).run_pending(), ExecutionWorker(ctx.db).run_pending())
    assert sum(ran) <= 6  # == 6 unless another process's worker shares the database
    outputs = [await finished(ctx, i) for i in ids]
    assert all(o["status"] == "completed" and len(o["output"]["notification_ids"]) == 1 for o in outputs)
    async with ctx.db.session() as s:  # each ran exactly once: one notification per execution
        notes = await s.scalar(
            select(func.count()).select_from(HelperNotification).where(HelperNotification.account_id == acc)
        )
    assert notes == 6


async def test_a_run_over_budget_fails(ctx: ToolContext) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    async def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    cfg = {"url": "https://hooks.example.com/slow"}
    helper = await manage.create_helper(ctx, name="slow", helper_type="webhook_call", config=cfg)
    with respx.mock:
        respx.post("https://93.184.216.34/slow").mock(side_effect=slow)
        gate = OutboundHttp(resolver=resolver)
        failed = await run_here(ctx, helper["helper_id"], http=gate, budget_seconds=0.3)
    assert failed["status"] == "failed" and failed["error_message"] == "Timed out after 0.3s"
    assert 250 <= failed["duration_ms"] < 3000


async def test_permissions_are_checked_by_the_tools(ctx: ToolContext) -> None:
    helper = await manage.create_helper(ctx, name="n", helper_type="notify", config={"title": "hi"})
    viewer = Principal(ctx.principal.user_id, ctx.principal.account_id, "Viewer", ROLE_PERMISSIONS["Viewer"])
    as_viewer = ToolContext(viewer, ctx.db, ctx.settings)
    visible = {s.name for s in REG.visible_to(viewer)}
    assert {"list_helpers", "get_helper_config", "get_execution", "list_executions"} <= visible
    assert "invoke_helper" not in visible
    with pytest.raises(Forbidden):
        await REG.call("invoke_helper", {"helper_id": helper["helper_id"]}, as_viewer)
    with pytest.raises(Forbidden):  # the function itself refuses, not only the registry
        await REG.get("invoke_helper").fn(as_viewer, helper["helper_id"])
    with pytest.raises(Forbidden):
        await manage.create_helper(as_viewer, name="x", helper_type="notify", config={"title": "x"})
    assert REG.get("invoke_helper").read_only is False and REG.get("list_helpers").read_only is True
    listed = await REG.call("list_helpers", {}, as_viewer)
    assert listed["total_count"] == 1 and listed["helpers"][0]["helper_id"] == helper["helper_id"]


async def test_another_account_sees_nothing(ctx: ToolContext, db: Database, settings: Settings) -> None:
    helper = await manage.create_helper(ctx, name="n", helper_type="notify", config={"title": "hi"})
    queued = await REG.call("invoke_helper", {"helper_id": helper["helper_id"]}, ctx)
    other = ToolContext((await new_identity(db, "Stranger")).principal(), db, settings)
    with pytest.raises(NotFound):
        await REG.call("get_helper_config", {"helper_id": helper["helper_id"]}, other)
    with pytest.raises(NotFound):
        await REG.call("invoke_helper", {"helper_id": helper["helper_id"]}, other)
    with pytest.raises(NotFound):
        await REG.call("get_execution", {"execution_id": queued["execution_id"]}, other)
    with pytest.raises(NotFound):
        await manage.update_helper(other, helper["helper_id"], {"enabled": False})
    assert (await REG.call("list_helpers", {}, other))["total_count"] == 0
    assert (await REG.call("list_executions", {}, other))["total_count"] == 0
    mine = await add_contact(db, other.principal.account_id, "Theirs")
    tagger = await manage.create_helper(ctx, name="t", helper_type="tag_it", config={"tag_name": "x"})
    with pytest.raises(NotFound):  # a contact of another account cannot be a target either
        await REG.call("invoke_helper", {"helper_id": tagger["helper_id"], "contact_id": mine}, ctx)


async def test_invoke_checks_state_target_and_input(ctx: ToolContext) -> None:
    tagger = await manage.create_helper(ctx, name="t", helper_type="tag_it", config={"tag_name": "x"})
    with pytest.raises(Invalid, match="contact_id: this helper runs on a contact"):
        await REG.call("invoke_helper", {"helper_id": tagger["helper_id"]}, ctx)
    scorer = await manage.create_helper(ctx, name="s", helper_type="score_lead", config={})
    with pytest.raises(Invalid, match=r"input\.lead_id"):
        await REG.call("invoke_helper", {"helper_id": scorer["helper_id"]}, ctx)
    with pytest.raises(TooLarge):
        await REG.call("invoke_helper", {"helper_id": scorer["helper_id"], "input": {"x": "y" * 20_000}}, ctx)
    await manage.update_helper(ctx, tagger["helper_id"], {"enabled": False})
    cid = await add_contact(ctx.db, ctx.principal.account_id, "Off")
    with pytest.raises(Invalid, match="disabled"):
        await REG.call("invoke_helper", {"helper_id": tagger["helper_id"], "contact_id": cid}, ctx)
    await manage.delete_helper(ctx, tagger["helper_id"])
    with pytest.raises(NotFound):
        await REG.call("invoke_helper", {"helper_id": tagger["helper_id"], "contact_id": cid}, ctx)
