"""Create, update and delete helpers. A helper's config is validated against its type's schema
on every write, so a stored config is always one its type can run."""

from __future__ import annotations

import json
from typing import Any

from frontdesk.errors import Invalid, NotFound, TooLarge
from frontdesk.storage import crm_connections, helper_store, plans
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers.catalog import HELPER_TYPES
from frontdesk.tools.helpers.public import SECRET_MASK, helper_detail

MAX_CONFIG_BYTES = 16 * 1024


def _checked_config(helper_type: str, config: dict[str, Any] | None) -> dict[str, Any]:
    validated = HELPER_TYPES.get(helper_type).validate_config(config)
    stored = validated.model_dump(mode="json", exclude_unset=False)
    if len(json.dumps(stored)) > MAX_CONFIG_BYTES:
        raise TooLarge(f"config: over {MAX_CONFIG_BYTES} bytes")
    return stored


def _unmasked(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """A header sent back as the mask keeps its stored value (header values are never shown)."""
    headers, stored = new.get("headers"), old.get("headers") or {}
    if not isinstance(headers, dict):
        return new
    kept = {k: stored[k] if v == SECRET_MASK and k in stored else v for k, v in headers.items()}
    return new | {"headers": kept}


async def _check_connection(ctx: ToolContext, s: Any, connection_id: str | None) -> None:
    if connection_id is None:
        return
    try:
        await crm_connections.get_connection(s, ctx.principal.account_id, connection_id)
    except NotFound:
        raise Invalid(f"connection_id: no connection {connection_id} in this account") from None


async def create_helper(
    ctx: ToolContext,
    *,
    name: str,
    helper_type: str,
    config: dict[str, Any] | None = None,
    description: str | None = None,
    category: str | None = None,
    connection_id: str | None = None,
) -> dict[str, Any]:
    """Create a helper of a registered type; unknown type or bad config -> Invalid (400)."""
    ctx.require("can_manage_helpers")
    if helper_type not in {t.type for t in HELPER_TYPES.all()}:
        raise Invalid(f"helper_type: unknown helper type '{helper_type}'")
    kind = HELPER_TYPES.get(helper_type)
    if category is not None and category != kind.category:
        raise Invalid(f"category: {helper_type} helpers are in category '{kind.category}'")
    stored = _checked_config(helper_type, config)
    async with ctx.db.session() as s:
        await _check_connection(ctx, s, connection_id)
        if ctx.settings.enforce_plan_limits:
            await plans.check(s, ctx.principal.account_id, "max_helpers")
        helper = await helper_store.create_helper(
            s,
            ctx.principal.account_id,
            ctx.principal.user_id,
            name=name,
            helper_type=helper_type,
            category=kind.category,
            config=stored,
            description=description,
            connection_id=connection_id,
        )
    return helper_detail(helper)


async def update_helper(ctx: ToolContext, helper_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change name, description, config (validated), enabled or connection_id."""
    ctx.require("can_manage_helpers")
    changes = dict(changes)
    async with ctx.db.session() as s:
        helper = await helper_store.get_helper(s, ctx.principal.account_id, helper_id)
        if "config" in changes:
            changes["config"] = _checked_config(
                helper.helper_type, _unmasked(changes["config"], helper.config)
            )
        if "connection_id" in changes:
            await _check_connection(ctx, s, changes["connection_id"])
        helper = await helper_store.update_helper(
            s, ctx.principal.account_id, helper_id, changes, actor=ctx.principal.user_id
        )
    return helper_detail(helper)


async def delete_helper(ctx: ToolContext, helper_id: str) -> dict[str, Any]:
    """Soft-delete: the helper disappears from lists and cannot run; its executions remain."""
    ctx.require("can_manage_helpers")
    async with ctx.db.session() as s:
        helper = await helper_store.delete_helper(
            s, ctx.principal.account_id, helper_id, actor=ctx.principal.user_id
        )
    return {"helper_id": helper.id, "status": helper.status}
