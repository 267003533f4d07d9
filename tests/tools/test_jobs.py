"""The job queue on a real store (`tools/jobs/queue.py`): a job runs once and records its result,
`Retry` backs off until the attempts are spent, errors and budgets are recorded, a job kicked twice
or by two queues on one store runs once, stale running jobs are failed and queued ones found by the
dispatcher, cancel stops a running job; the scheduler fires a due run exactly once; a failed helper
execution notifies the user who queued it."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from frontdesk.errors import Invalid
from frontdesk.storage import jobs as rows
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.job_models import Job, ScheduledJob
from frontdesk.storage.notifications import list_notifications
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers import manage
from frontdesk.tools.helpers.tools import invoke_helper
from frontdesk.tools.helpers.worker import ExecutionWorker
from frontdesk.tools.jobs.queue import JobQueue, JobRun, Retry
from frontdesk.tools.jobs.schedule import check_cron, next_run
from frontdesk.tools.jobs.scheduler import Scheduler
from tests.conftest import _settings, demo_identity, new_identity


def queue(db: Database, name: str | None = None, **kw: Any) -> JobQueue:
    return JobQueue(
        db, queue=name or f"q-{uuid.uuid4().hex[:6]}", poll_seconds=0.05, retry_base_seconds=0.05, **kw
    )


async def job(db: Database, job_id: str) -> Job:
    async with db.session() as s:
        found = await s.get(Job, job_id)
        assert found is not None
        return found


async def ended(db: Database, job_id: str) -> Job:
    """The job once it has ended (polled: the queue signals nothing a test could wait on)."""
    for _ in range(250):
        found = await job(db, job_id)
        if found.status not in ("queued", "running"):
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {job_id} did not end")


async def test_a_job_runs_once_and_records_its_result(db: Database) -> None:
    q, calls = queue(db), []

    async def echo(run: JobRun) -> dict[str, Any]:
        calls.append(run.attempt)
        await run.progress(50)
        return {"echo": run.payload["say"]}

    q.register("echo", echo)
    await q.start()
    try:
        job_id = await q.submit("echo", {"say": "hi"}, account_id=None)
        await q.kick(job_id)  # a second kick of the same job does nothing
        done = await ended(db, job_id)
    finally:
        await q.stop()
    assert (done.status, done.result, done.attempts, done.progress) == ("completed", {"echo": "hi"}, 1, 100)
    assert calls == [1] and done.finished_at is not None and done.error is None


async def test_retry_backs_off_until_attempts_are_spent(db: Database) -> None:
    q, stamps = queue(db), []

    async def flaky(run: JobRun) -> dict[str, Any]:
        stamps.append(asyncio.get_running_loop().time())
        if run.attempt < 3:
            raise Retry(f"try {run.attempt} failed")
        return {"ok": True}

    async def hopeless(run: JobRun) -> None:
        raise Retry("still down")

    q.register("flaky", flaky)
    q.register("hopeless", hopeless)
    await q.start()
    try:
        good = await ended(db, await q.submit("flaky", {}, account_id=None, max_attempts=5))
        bad = await ended(db, await q.submit("hopeless", {}, account_id=None, max_attempts=2))
    finally:
        await q.stop()
    assert good.status == "completed" and good.attempts == 3
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # 0.05 s, then doubled
    assert bad.status == "failed" and bad.attempts == 2 and bad.error == "still down (after 2 attempts)"


async def test_errors_and_budgets_are_recorded(db: Database) -> None:
    q = queue(db)

    async def refuse(run: JobRun) -> None:
        raise Invalid("data.email is required")

    async def crash(run: JobRun) -> None:
        raise KeyError("boom")

    async def slow(run: JobRun) -> None:
        await asyncio.sleep(10)

    for kind, fn in (("refuse", refuse), ("crash", crash), ("slow", slow)):
        q.register(kind, fn)
    await q.start()
    try:
        refused = await ended(db, await q.submit("refuse", {}, account_id=None, max_attempts=3))
        crashed = await ended(db, await q.submit("crash", {}, account_id=None))
        timed = await ended(db, await q.submit("slow", {}, account_id=None, budget_seconds=0.1))
    finally:
        await q.stop()
    assert (refused.status, refused.attempts, refused.error) == ("failed", 1, "data.email is required")
    assert crashed.error == "KeyError: 'boom'"
    assert timed.status == "failed" and "budget" in (timed.error or "")


async def test_two_queues_on_one_store_and_the_dispatcher(db: Database) -> None:
    """Jobs queued while no runner ran (another process, a restart) are found by the dispatcher of
    their queue only; a claimed job is never run twice."""
    name, ran = f"shared-{uuid.uuid4().hex[:6]}", []

    async def note(run: JobRun) -> None:
        ran.append(run.job_id)

    idle = queue(db, name)
    idle.register("note", note)
    ids = [await idle.submit("note", {}, account_id=None) for _ in range(5)]  # not started: only stored
    other = queue(db)
    other.register("note", note)
    first, second = queue(db, name), queue(db, name)
    for q in (first, second):
        q.register("note", note)
    await other.start()
    await asyncio.sleep(0.2)
    assert ran == []  # another queue's jobs are not this queue's
    await asyncio.gather(first.start(), second.start())
    try:
        for job_id in ids:
            await ended(db, job_id)
    finally:
        await asyncio.gather(first.stop(), second.stop(), other.stop())
    assert sorted(ran) == sorted(ids)


async def test_stale_running_jobs_fail_and_cancel_stops_a_running_one(db: Database) -> None:
    q = queue(db)
    started = asyncio.Event()

    async def forever(run: JobRun) -> None:
        started.set()
        await asyncio.sleep(60)

    q.register("forever", forever)

    async def leave(s: Any) -> str:
        stale = rows.add_job(s, kind="forever", payload={}, account_id=None, queue=q.queue, budget_seconds=1)
        stale.status, stale.started_at = "running", utcnow() - timedelta(minutes=5)
        return stale.id

    stale_id = await db.run_write(leave)
    await q.start()
    try:
        assert (await job(db, stale_id)).status == "failed"
        job_id = await q.submit("forever", {}, account_id=None)
        await asyncio.wait_for(started.wait(), 5)
        assert await q.cancel(job_id) is True
        assert (await ended(db, job_id)).status == "cancelled"
        assert await q.cancel(job_id) is False
    finally:
        await q.stop()


async def test_a_job_cancelled_through_another_process_stops_where_it_runs(db: Database) -> None:
    """Two queues on one store stand for two processes: the one that does not run the job cancels
    it (only its row changes there); the one running it stops it on its next poll."""
    runner, elsewhere = queue(db), queue(db)
    elsewhere.queue = runner.queue
    started, stopped = asyncio.Event(), asyncio.Event()

    async def forever(run: JobRun) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            stopped.set()
            raise

    runner.register("forever", forever)
    elsewhere.register("forever", forever)
    await runner.start()
    try:
        job_id = await runner.submit("forever", {}, account_id=None)
        await asyncio.wait_for(started.wait(), 5)
        assert await elsewhere.cancel(job_id) is True  # not running in `elsewhere`
        await asyncio.wait_for(stopped.wait(), 5)
        found = await ended(db, job_id)
        assert found.status == "cancelled" and found.result is None
    finally:
        await runner.stop()


async def test_cron_helpers() -> None:
    check_cron("0 9 * * 1", "Europe/Paris")
    for bad in ("*/5 * * * *", "0-59/10 * * * *", "0 9 * *", "0 25 * * *"):
        try:
            check_cron(bad, "UTC")
        except Invalid:
            continue
        raise AssertionError(bad)
    start = utcnow().replace(month=1, day=15, hour=12, minute=0, second=0, microsecond=0)
    assert next_run("0 9 * * *", "America/New_York", after=start).hour == 14  # 09:00 EST is 14:00 UTC


async def test_the_scheduler_fires_a_due_run_exactly_once(db: Database) -> None:
    identity = await demo_identity(db)
    q = queue(db)
    q.register("scheduled_run", lambda run: asyncio.sleep(0))  # type: ignore[arg-type, return-value]

    async def add(s: Any) -> str:
        row = ScheduledJob(
            id=f"sched:{uuid.uuid4()}",
            account_id=identity.account.id,
            user_id=identity.user.id,
            name="due",
            cron_expression="0 9 * * *",
            task_type="data_sync",
            next_run=utcnow() - timedelta(minutes=1),
        )
        s.add(row)
        return row.id

    sched_id = await db.run_write(add)
    one, two = Scheduler(db, q), Scheduler(db, q)
    await asyncio.gather(one.tick(), two.tick(), one.tick())
    async with db.session() as s:  # on a shared store another server's scheduler may be the one
        row = await s.get(ScheduledJob, sched_id)
        runs = await s.scalars(
            select(Job).where(Job.kind == "scheduled_run", Job.account_id == identity.account.id)
        )
        ours = [j for j in runs if j.payload == {"schedule_id": sched_id}]
    assert row is not None and row.next_run is not None and len(ours) == 1
    assert row.next_run.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
    async with db.write() as s:
        await s.execute(update(ScheduledJob).where(ScheduledJob.id == sched_id).values(is_active=False))
        await s.commit()


async def test_a_failed_helper_execution_notifies_its_user(db: Database) -> None:
    ctx = ToolContext((await new_identity(db, "Runner")).principal(), db, _settings(Path("/nonexistent")))
    helper = await manage.create_helper(ctx, name="Tagger", helper_type="notify", config={"title": "x"})
    queued = await invoke_helper(ctx, helper["helper_id"])
    await manage.update_helper(ctx, helper["helper_id"], {"enabled": False})  # disabled before it runs
    await ExecutionWorker(db).run_pending()
    async with db.session() as s:
        found = await list_notifications(
            s, ctx.principal.account_id, ctx.principal.user_id, status="unread", type_="system", limit=10
        )
    (note,) = [n for n in found["notifications"] if n["data"].get("executionId") == queued["execution_id"]]
    assert note["title"] == "Helper 'Tagger' failed" and "disabled" in note["message"]
