"""Helpers of an account: create, read, list, update, soft-delete. Always filtered by account;
a deleted helper is gone for every read here (its executions stay readable)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, NotFound
from frontdesk.storage import audit
from frontdesk.storage.helper_models import Helper
from frontdesk.storage.ids import new_id, utcnow

UPDATABLE = frozenset({"name", "description", "config", "enabled", "connection_id"})


async def create_helper(
    session: AsyncSession,
    account_id: str,
    user_id: str | None,
    *,
    name: str,
    helper_type: str,
    category: str,
    config: dict[str, Any],
    description: str | None = None,
    connection_id: str | None = None,
) -> Helper:
    helper = Helper(
        id=new_id("helper"),
        account_id=account_id,
        name=name,
        description=description,
        helper_type=helper_type,
        category=category,
        config=config,
        connection_id=connection_id,
        created_by=user_id,
    )
    session.add(helper)
    after = {"name": name, "helper_type": helper_type, "connection_id": connection_id}
    audit.record_change(session, account_id, user_id, "helper.create", ("helper", helper.id), {}, after)
    await session.commit()
    return helper


async def get_helper(session: AsyncSession, account_id: str, helper_id: str) -> Helper:
    helper = await session.get(Helper, helper_id)
    if helper is None or helper.account_id != account_id or helper.status == "deleted":
        raise NotFound(f"Helper {helper_id} not found")
    return helper


async def list_helpers(
    session: AsyncSession,
    account_id: str,
    *,
    helper_type: str | None = None,
    category: str | None = None,
    enabled: bool | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Helper], int]:
    """One page of the account's helpers (oldest first) and how many match in all."""
    conds = [Helper.account_id == account_id, Helper.status != "deleted"]
    if helper_type:
        conds.append(Helper.helper_type == helper_type)
    if category:
        conds.append(Helper.category == category)
    if enabled is not None:
        conds.append(Helper.enabled.is_(enabled))
    total = await session.scalar(select(func.count()).select_from(Helper).where(*conds))
    rows = await session.scalars(
        select(Helper).where(*conds).order_by(Helper.created_at, Helper.id).limit(limit).offset(offset)
    )
    return list(rows), int(total or 0)


async def update_helper(
    session: AsyncSession,
    account_id: str,
    helper_id: str,
    changes: Mapping[str, Any],
    *,
    actor: str | None = None,
) -> Helper:
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise Invalid(f"Not updatable: {', '.join(sorted(unknown))}")
    helper = await get_helper(session, account_id, helper_id)
    before = audit.snapshot(helper, set(changes))
    for name, value in changes.items():
        setattr(helper, name, value)
    helper.updated_at = utcnow()
    after = audit.snapshot(helper, set(changes))
    audit.record_change(session, account_id, actor, "helper.update", ("helper", helper.id), before, after)
    await session.commit()
    return helper


async def delete_helper(
    session: AsyncSession, account_id: str, helper_id: str, *, actor: str | None = None
) -> Helper:
    """Soft delete: status `deleted`, disabled. Its executions are kept."""
    helper = await get_helper(session, account_id, helper_id)
    before = {"status": helper.status, "enabled": helper.enabled}
    helper.status = "deleted"
    helper.enabled = False
    helper.updated_at = utcnow()
    after = {"status": "deleted", "enabled": False}
    audit.record_change(session, account_id, actor, "helper.delete", ("helper", helper.id), before, after)
    await session.commit()
    return helper
