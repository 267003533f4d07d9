"""Executions of helpers: queue one, claim it for running, finish it, page through them with a
`next_token` cursor, and sweep runs that a stopped process left behind."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, NotFound
from frontdesk.storage import audit, jobs
from frontdesk.storage.helper_models import Execution, Helper
from frontdesk.storage.ids import iso, new_id, utcnow
from frontdesk.storage.job_models import Job


@dataclass(frozen=True, slots=True)
class ExecutionFilter:
    helper_id: str | None = None
    status: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


async def queue_execution(
    session: AsyncSession,
    helper: Helper,
    *,
    user_id: str | None,
    contact_id: str | None,
    input: dict[str, Any],
    trigger_type: str = "manual",
    job_queue: str | None = None,
    budget_seconds: float = 90.0,
) -> Execution:
    """Record a queued execution and count it on the helper; with `job_queue`, the job that runs
    it is queued in the same transaction (`helper_job_id`), so no execution waits without one.
    Commits."""
    now = utcnow()
    execution = Execution(
        id=new_id("exec"),
        account_id=helper.account_id,
        helper_id=helper.id,
        user_id=user_id,
        connection_id=helper.connection_id,
        contact_id=contact_id,
        status="queued",
        trigger_type=trigger_type,
        input=input,
        created_at=now,
    )
    session.add(execution)
    await session.execute(
        update(Helper)
        .where(Helper.id == helper.id)
        .values(execution_count=Helper.execution_count + 1, last_executed_at=now)
    )
    after = {"execution_id": execution.id, "trigger_type": trigger_type, "contact_id": contact_id}
    audit.record_change(
        session, helper.account_id, user_id, "helper.execute", ("helper", helper.id), {}, after
    )
    if job_queue is not None:
        _add_job(session, execution, job_queue, budget_seconds)
    await session.commit()
    return execution


HELPER_JOB = "helper_execution"
JOB_GRACE_SECONDS = 30.0  # a helper job's budget is the execution's plus this (recording its end)


def helper_job_id(execution_id: str) -> str:
    """The id of the job that runs an execution: one per execution, so adopting it twice adds one."""
    return f"helperjob:{execution_id}"


def _add_job(session: AsyncSession, execution: Execution, queue: str, budget_seconds: float) -> None:
    job = jobs.add_job(
        session,
        kind=HELPER_JOB,
        payload={"execution_id": execution.id},
        account_id=execution.account_id,
        user_id=execution.user_id,
        queue=queue,
        budget_seconds=budget_seconds,
    )
    job.id = helper_job_id(execution.id)


async def adopt_orphans(session: AsyncSession, queue: str, budget_seconds: float, limit: int = 500) -> int:
    """Queue a job for each queued execution that has none (queued before executions ran on the job
    system, or by a process that wrote no job). Commits; returns how many."""
    queued = list(
        await session.scalars(
            select(Execution).where(Execution.status == "queued").order_by(Execution.created_at).limit(limit)
        )
    )
    if not queued:
        return 0
    have = set(await session.scalars(select(Job.id).where(Job.id.in_([helper_job_id(e.id) for e in queued]))))
    added = 0
    for execution in queued:
        if helper_job_id(execution.id) not in have:
            _add_job(session, execution, queue, budget_seconds)
            added += 1
    await session.commit()
    return added


async def claim(session: AsyncSession, execution_id: str) -> bool:
    """Mark this queued execution `running`; False when someone else claimed it (or it ended).
    Commits."""
    result = await session.execute(
        update(Execution)
        .where(Execution.id == execution_id, Execution.status == "queued")
        .values(status="running", started_at=utcnow())
    )
    await session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


async def get_execution(session: AsyncSession, account_id: str, execution_id: str) -> Execution:
    execution = await session.get(Execution, execution_id)
    if execution is None or execution.account_id != account_id:
        raise NotFound(f"Execution {execution_id} not found")
    return execution


async def execution_rank(session: AsyncSession, execution_id: str) -> int:
    """How many executions of the same helper were queued before this one. Fixed at queueing, so
    it gives each run its turn (round robin) whatever order or concurrency the runs happen in."""
    row = (
        await session.execute(
            select(Execution.helper_id, Execution.created_at).where(Execution.id == execution_id)
        )
    ).one()
    earlier = or_(
        Execution.created_at < row.created_at,
        and_(Execution.created_at == row.created_at, Execution.id < execution_id),
    )
    n = await session.scalar(
        select(func.count()).select_from(Execution).where(Execution.helper_id == row.helper_id, earlier)
    )
    return int(n or 0)


def encode_cursor(execution: Execution) -> str:
    raw = json.dumps({"c": iso(execution.created_at), "i": execution.id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        created = datetime.fromisoformat(data["c"].replace("Z", "+00:00"))
        execution_id = str(data["i"])
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError) as e:
        raise Invalid("next_token: not a token from this API") from e
    return created.astimezone(UTC), execution_id


async def list_executions(
    session: AsyncSession,
    account_id: str,
    filters: ExecutionFilter,
    *,
    limit: int = 20,
    next_token: str | None = None,
) -> tuple[list[Execution], int, str | None]:
    """Newest first. Returns one page, the number that match the filters in all, and the token
    of the next page (None on the last page)."""
    conds: list[Any] = [Execution.account_id == account_id]
    if filters.helper_id:
        conds.append(Execution.helper_id == filters.helper_id)
    if filters.status:
        conds.append(Execution.status == filters.status)
    if filters.created_from:
        conds.append(Execution.created_at >= filters.created_from)
    if filters.created_to:
        conds.append(Execution.created_at < filters.created_to)
    total = await session.scalar(select(func.count()).select_from(Execution).where(*conds))
    page = list(conds)
    if next_token:
        created, last_id = decode_cursor(next_token)
        page.append(
            or_(
                Execution.created_at < created,
                and_(Execution.created_at == created, Execution.id < last_id),
            )
        )
    rows = list(
        await session.scalars(
            select(Execution)
            .where(*page)
            .order_by(Execution.created_at.desc(), Execution.id.desc())
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, int(total or 0), encode_cursor(rows[-1]) if more and rows else None


async def claim_next(session: AsyncSession) -> str | None:
    """Mark the oldest queued execution `running` and return its id; None when nothing is queued.

    The status change is conditional, so two workers (or two processes) never run the same one."""
    while True:
        execution_id = await session.scalar(
            select(Execution.id)
            .where(Execution.status == "queued")
            .order_by(Execution.created_at, Execution.id)
            .limit(1)
        )
        if execution_id is None:
            return None
        result = await session.execute(
            update(Execution)
            .where(Execution.id == execution_id, Execution.status == "queued")
            .values(status="running", started_at=utcnow())
        )
        await session.commit()
        if result.rowcount == 1:  # type: ignore[attr-defined]
            return execution_id


async def finish_execution(
    session: AsyncSession,
    execution_id: str,
    *,
    output: dict[str, Any] | None,
    error: str | None,
    duration_ms: int,
) -> None:
    await session.execute(
        update(Execution)
        .where(Execution.id == execution_id)
        .values(
            status="failed" if error is not None else "completed",
            output=output,
            error_message=error or "",
            duration_ms=duration_ms,
            completed_at=utcnow(),
        )
    )
    await session.commit()


async def fail_stale_runs(session: AsyncSession, started_before: datetime) -> int:
    """Executions still `running` that started before `started_before` were interrupted (their
    process stopped); mark them failed. Returns how many."""
    result = await session.execute(
        update(Execution)
        .where(Execution.status == "running", Execution.started_at < started_before)
        .values(
            status="failed",
            error_message="Interrupted: the server stopped while this execution was running",
            completed_at=utcnow(),
        )
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
