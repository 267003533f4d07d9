"""Helper and execution tools: list and read helpers and their types, invoke a helper (queues an
execution that a worker runs in the background), read executions. REST routes call these too."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Invalid, TooLarge
from frontdesk.storage import crm, helper_store, plans
from frontdesk.storage import helper_executions as executions_store
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers.base import Target
from frontdesk.tools.helpers.catalog import HELPER_TYPES
from frontdesk.tools.helpers.public import execution_detail, execution_public, helper_detail, helper_public
from frontdesk.tools.registry import ToolRegistry

MAX_HELPER_PAGE = 100
MAX_EXECUTION_PAGE = 100
MAX_INPUT_BYTES = 16 * 1024
ExecutionStatus = Literal["queued", "running", "completed", "failed"]
HelperId = Annotated[str, Field(min_length=1, max_length=64, description="The helper's id, e.g. helper:…")]
ContactId = Annotated[str | None, Field(max_length=64, description="The contact to run on, e.g. contact:…")]


async def list_helper_types(
    ctx: ToolContext,
    category: Annotated[str | None, Field(max_length=32, description="Only this category.")] = None,
) -> dict[str, Any]:
    """List the helper types that can be configured, with each type's config JSON schema."""
    ctx.require("crm.read")
    types = [t.public() for t in HELPER_TYPES.all() if category is None or t.category == category]
    return {"types": types, "total_count": len(types), "categories": HELPER_TYPES.categories()}


async def get_helper_type(
    ctx: ToolContext, helper_type: Annotated[str, Field(max_length=64, description="e.g. tag_it")]
) -> dict[str, Any]:
    """Get one helper type: what it does, what it runs on, and its config JSON schema."""
    ctx.require("crm.read")
    return HELPER_TYPES.get(helper_type).public()


async def list_helpers(
    ctx: ToolContext,
    helper_type: Annotated[str | None, Field(max_length=64, description="Only this type.")] = None,
    category: Annotated[str | None, Field(max_length=32, description="Only this category.")] = None,
    enabled: Annotated[bool | None, Field(description="Only enabled (true) or disabled (false).")] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_HELPER_PAGE, description="Page size.")] = 50,
    offset: Annotated[int, Field(ge=0, description="Helpers to skip.")] = 0,
) -> dict[str, Any]:
    """List the account's helpers (configured automations) with type, status and run count."""
    ctx.require("crm.read")
    async with ctx.db.session() as s:
        rows, total = await helper_store.list_helpers(
            s,
            ctx.principal.account_id,
            helper_type=helper_type,
            category=category,
            enabled=enabled,
            limit=limit,
            offset=offset,
        )
    return {
        "helpers": [helper_public(h) for h in rows],
        "total_count": total,
        "limit": limit,
        "offset": offset,
        "has_more": offset + len(rows) < total,
    }


async def get_helper_config(ctx: ToolContext, helper_id: HelperId) -> dict[str, Any]:
    """Get one helper with its config and the JSON schema its config follows."""
    ctx.require("crm.read")
    async with ctx.db.session() as s:
        helper = await helper_store.get_helper(s, ctx.principal.account_id, helper_id)
    return helper_detail(helper)


async def _check_target(
    ctx: ToolContext, s: AsyncSession, target: Target, contact_id: str | None, lead_id: str | None
) -> None:
    account_id = ctx.principal.account_id
    if target == "contact" and not contact_id:
        raise Invalid("contact_id: this helper runs on a contact")
    if target == "lead" and not (lead_id or contact_id):
        raise Invalid("input.lead_id: this helper runs on a lead; give input.lead_id or a contact_id")
    if contact_id:
        await crm.get_contact(s, account_id, contact_id)
    if lead_id:
        await crm.get_lead(s, account_id, lead_id)


async def invoke_helper(
    ctx: ToolContext,
    helper_id: HelperId,
    contact_id: ContactId = None,
    input: Annotated[
        dict[str, Any] | None,
        Field(description='Extra input for the run, e.g. {"lead_id": "lead:…"}; up to 16 KB.'),
    ] = None,
) -> dict[str, Any]:
    """Run a helper in the background on a contact (or a lead via input.lead_id).

    Returns the queued execution at once; read its result with get_execution."""
    ctx.require("can_execute_helpers")
    data = dict(input or {})
    if len(json.dumps(data, default=str)) > MAX_INPUT_BYTES:
        raise TooLarge(f"input: over {MAX_INPUT_BYTES} bytes")
    lead_id = data.get("lead_id")
    if lead_id is not None and not isinstance(lead_id, str):
        raise Invalid("input.lead_id: must be a string")
    async with ctx.db.session() as s:
        helper = await helper_store.get_helper(s, ctx.principal.account_id, helper_id)
        if not helper.enabled:
            raise Invalid(f"Helper {helper_id} is disabled")
        helper_type = HELPER_TYPES.get(helper.helper_type)
        config = helper_type.validate_config(helper.config)
        await _check_target(ctx, s, helper_type.required_target(config), contact_id, lead_id)
        if ctx.settings.enforce_plan_limits:
            await plans.check(s, ctx.principal.account_id, "max_executions")
        execution = await executions_store.queue_execution(
            s,
            helper,
            user_id=ctx.principal.user_id,
            contact_id=contact_id,
            input=data,
            job_queue=ctx.settings.job_queue,
            budget_seconds=ctx.settings.helper_timeout_seconds + executions_store.JOB_GRACE_SECONDS,
        )
    return {
        "execution_id": execution.id,
        "helper_id": helper.id,
        "status": execution.status,
        "started_at": execution_public(execution)["created_at"],
    }


async def get_execution(
    ctx: ToolContext,
    execution_id: Annotated[str, Field(min_length=1, max_length=64, description="e.g. exec:…")],
) -> dict[str, Any]:
    """Get one helper execution: status, timing, input, output or error."""
    ctx.require("crm.read")
    async with ctx.db.session() as s:
        execution = await executions_store.get_execution(s, ctx.principal.account_id, execution_id)
    return execution_detail(execution)


def _utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


async def list_executions(
    ctx: ToolContext,
    helper_id: Annotated[str | None, Field(max_length=64, description="Only this helper's runs.")] = None,
    status: Annotated[ExecutionStatus | None, Field(description="Only runs in this status.")] = None,
    created_from: Annotated[datetime | None, Field(description="Queued at or after (ISO 8601, UTC).")] = None,
    created_to: Annotated[datetime | None, Field(description="Queued before (ISO 8601, UTC).")] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_EXECUTION_PAGE, description="Page size.")] = 20,
    next_token: Annotated[str | None, Field(max_length=500, description="From the previous page.")] = None,
) -> dict[str, Any]:
    """List the account's helper executions, newest first, one page at a time (next_token)."""
    ctx.require("crm.read")
    start, end = _utc(created_from), _utc(created_to)
    if start and end and start > end:
        raise Invalid("created_from is after created_to")
    filters = executions_store.ExecutionFilter(helper_id, status, start, end)
    async with ctx.db.session() as s:
        rows, total, token = await executions_store.list_executions(
            s, ctx.principal.account_id, filters, limit=limit, next_token=next_token
        )
    return {
        "executions": [execution_public(e) for e in rows],
        "total_count": total,
        "next_token": token,
        "has_more": token is not None,
    }


def register(registry: ToolRegistry) -> None:
    registry.add(list_helper_types, permission="crm.read")
    registry.add(list_helpers, permission="crm.read")
    registry.add(get_helper_config, permission="crm.read")
    registry.add(invoke_helper, permission="can_execute_helpers", read_only=False)
    registry.add(get_execution, permission="crm.read")
    registry.add(list_executions, permission="crm.read")
