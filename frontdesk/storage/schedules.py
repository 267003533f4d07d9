"""Scheduled jobs' rows: CRUD scoped to the account (owner or admin may change one; other users of
the account see 404), the per-user active cap, the claim of a due run, and the audit entry of each
create/update/delete (`record_change`, in the caller's transaction)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import NotFound
from frontdesk.storage import audit
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.job_models import ScheduledJob
from frontdesk.types import Principal

ADMIN_ROLES = ("Owner", "Admin")
AUDITED = frozenset(
    {"name", "description", "cron_expression", "timezone", "task_type", "task_params", "is_active"}
)


def _may_see(principal: Principal, row: ScheduledJob) -> bool:
    return row.account_id == principal.account_id and (
        row.user_id == principal.user_id or principal.role in ADMIN_ROLES
    )


async def get_schedule(session: AsyncSession, principal: Principal, schedule_id: str) -> ScheduledJob:
    row = await session.get(ScheduledJob, schedule_id)
    if row is None or not _may_see(principal, row):
        raise NotFound("Scheduled job not found")
    return row


async def list_schedules(session: AsyncSession, principal: Principal) -> list[ScheduledJob]:
    """The user's own jobs (the seed: "the current user's scheduled jobs")."""
    rows = await session.scalars(
        select(ScheduledJob)
        .where(ScheduledJob.account_id == principal.account_id, ScheduledJob.user_id == principal.user_id)
        .order_by(ScheduledJob.created_at)
    )
    return list(rows)


async def count_active(session: AsyncSession, user_id: str, exclude: str | None = None) -> int:
    q = (
        select(func.count())
        .select_from(ScheduledJob)
        .where(ScheduledJob.user_id == user_id, ScheduledJob.is_active.is_(True))
    )
    if exclude is not None:
        q = q.where(ScheduledJob.id != exclude)
    return int(await session.scalar(q) or 0)


def add_schedule(session: AsyncSession, principal: Principal, fields: dict[str, Any]) -> ScheduledJob:
    row = ScheduledJob(
        id=new_id("sched"), account_id=principal.account_id, user_id=principal.user_id, **fields
    )
    session.add(row)
    return row


def snapshot(row: ScheduledJob) -> dict[str, Any]:
    """The audited fields of a scheduled job, for `record_change`."""
    return audit.snapshot(row, AUDITED)


def record_change(
    session: AsyncSession, principal: Principal, verb: str, row: ScheduledJob, before: dict[str, Any]
) -> None:
    """Audit `scheduled_job.<verb>` by the principal: `before` against the row's fields now ({} for
    a delete)."""
    after = {} if verb == "delete" else snapshot(row)
    resource = ("scheduled_job", row.id)
    audit.record_change(
        session, row.account_id, principal.user_id, f"scheduled_job.{verb}", resource, before, after
    )


async def due(session: AsyncSession, now: datetime, limit: int = 50) -> list[ScheduledJob]:
    rows = await session.scalars(
        select(ScheduledJob)
        .where(ScheduledJob.is_active.is_(True), ScheduledJob.next_run <= now)
        .order_by(ScheduledJob.next_run)
        .limit(limit)
    )
    return list(rows)


async def claim_run(session: AsyncSession, row: ScheduledJob, next_run: datetime | None) -> bool:
    """Move the row's `next_run` on, if nobody else did since it was read: the instance whose
    update lands fires this run; every other instance sees 0 rows and skips it."""
    moved = await session.execute(
        update(ScheduledJob)
        .where(ScheduledJob.id == row.id, ScheduledJob.next_run == row.next_run)
        .values(next_run=next_run)
    )
    return moved.rowcount == 1  # type: ignore[attr-defined]


async def record_start(session: AsyncSession, schedule_id: str, task_id: str) -> ScheduledJob | None:
    row = await session.get(ScheduledJob, schedule_id)
    if row is not None:
        row.last_run, row.last_status, row.last_task_id, row.last_error = utcnow(), "running", task_id, None
    return row


async def record_end(session: AsyncSession, schedule_id: str, status: str, error: str | None) -> None:
    row = await session.get(ScheduledJob, schedule_id)
    if row is not None:
        row.last_status, row.last_error = status, error
