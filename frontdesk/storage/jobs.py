"""The job system's rows, each function inside the caller's write transaction: add a job, claim it
(a conditional update, so one runner runs it), finish it, put it back with a backoff, and find
what is due or stale."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.job_models import Job

ERROR_CHARS = 2000


def add_job(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    account_id: str | None,
    user_id: str | None = None,
    queue: str = "default",
    max_attempts: int = 1,
    budget_seconds: float = 300.0,
) -> Job:
    """Add a queued job to the session (the caller commits, then kicks it)."""
    job = Job(
        id=new_id("job"),
        account_id=account_id,
        user_id=user_id,
        queue=queue,
        kind=kind,
        payload=payload,
        max_attempts=max_attempts,
        budget_seconds=budget_seconds,
        run_after=utcnow(),
    )
    session.add(job)
    return job


async def claim(session: AsyncSession, job_id: str) -> Job | None:
    """Move a due queued job to `running` (one more attempt); None if another runner has it, it is
    not due, or it is gone."""
    now = utcnow()
    moved = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "queued", Job.run_after <= now)
        .values(status="running", attempts=Job.attempts + 1, started_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return await session.get(Job, job_id, populate_existing=True)


async def finish(
    session: AsyncSession, job_id: str, *, result: dict[str, Any] | None = None, error: str | None = None
) -> bool:
    """Record a running job's end (completed with `result`, or failed with `error`). A job cancelled
    meanwhile stays cancelled. False when the job was no longer running."""
    status = "failed" if error is not None else "completed"
    values: dict[str, Any] = {"status": status, "finished_at": utcnow(), "result": result}
    if error is not None:
        values["error"] = error[:ERROR_CHARS]
    if status == "completed":
        values["progress"] = 100
    done = await session.execute(
        update(Job).where(Job.id == job_id, Job.status == "running").values(**values)
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


async def retry_later(session: AsyncSession, job_id: str, delay_seconds: float, error: str) -> bool:
    """Put a running job back in the queue to run after `delay_seconds`."""
    back = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(
            status="queued", run_after=utcnow() + timedelta(seconds=delay_seconds), error=error[:ERROR_CHARS]
        )
    )
    return back.rowcount == 1  # type: ignore[attr-defined]


async def set_progress(session: AsyncSession, job_id: str, progress: int) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == "running")
        .values(progress=max(0, min(progress, 99)))
    )


async def cancel(session: AsyncSession, job_id: str) -> bool:
    """Cancel a job that has not finished. False when it had already ended."""
    done = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(("queued", "running")))
        .values(status="cancelled", finished_at=utcnow())
    )
    return done.rowcount == 1  # type: ignore[attr-defined]


async def cancelled_among(session: AsyncSession, job_ids: list[str]) -> list[str]:
    """Which of these jobs (running here) were cancelled meanwhile, by any process."""
    if not job_ids:
        return []
    rows = await session.scalars(select(Job.id).where(Job.id.in_(job_ids), Job.status == "cancelled"))
    return list(rows)


async def due(session: AsyncSession, queue: str, limit: int = 50) -> list[str]:
    """Ids of queued jobs of `queue` whose time has come, oldest first."""
    rows = await session.scalars(
        select(Job.id)
        .where(Job.queue == queue, Job.status == "queued", Job.run_after <= utcnow())
        .order_by(Job.run_after)
        .limit(limit)
    )
    return list(rows)


async def fail_stale(
    session: AsyncSession, queue: str, grace_seconds: float, now: datetime | None = None
) -> int:
    """Mark failed the running jobs of `queue` that are past their budget (their runner died)."""
    now = now or utcnow()
    rows = await session.scalars(select(Job).where(Job.queue == queue, Job.status == "running"))
    failed = 0
    for job in rows:
        started = job.started_at
        if started is not None and started.tzinfo is None:
            started = started.replace(tzinfo=now.tzinfo)
        if started is None or started + timedelta(seconds=job.budget_seconds + grace_seconds) < now:
            job.status, job.finished_at = "failed", now
            job.error = "interrupted: the process running it stopped before it finished"
            failed += 1
    return failed


async def get_job(session: AsyncSession, job_id: str, account_id: str) -> Job:
    job = await session.get(Job, job_id)
    if job is None or job.account_id != account_id:
        raise NotFound("Task not found")
    return job
