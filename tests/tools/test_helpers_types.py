"""Each built-in helper type, run end to end (create -> invoke_helper -> worker -> get_execution)
against a real database, checking what it really changed in the CRM store; and a failed run
rolling back."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from frontdesk.config import Settings
from frontdesk.errors import Invalid, ToolFailure
from frontdesk.storage.crm_write import tags_by_name
from frontdesk.storage.db import Database
from frontdesk.storage.helper_models import Execution, Helper
from frontdesk.storage.ids import new_id, utcnow
from frontdesk.storage.models import Contact, Lead, Tag
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers import manage
from frontdesk.tools.helpers.base import HelperConfig, HelperInput, HelperRun, HelperType, HelperTypes
from frontdesk.tools.helpers.catalog import HELPER_TYPES
from frontdesk.tools.helpers.net import OutboundHttp
from frontdesk.tools.helpers.records import contact_for, edit_tags
from frontdesk.tools.helpers.runner import run_execution
from frontdesk.tools.helpers.worker import ExecutionWorker
from frontdesk.tools.registry import default_registry
from tests.conftest import new_identity

REG = default_registry()


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    """A fresh account of its own, so counts and tags are exactly what the test made."""
    return ToolContext((await new_identity(db, "Helpers")).principal(), db, settings)


async def add_contact(
    db: Database, account_id: str, first_name: str, last_name: str = "", tags: tuple[str, ...] = (), **f: Any
) -> str:
    async with db.session() as s:
        contact = Contact(
            id=new_id("contact"), account_id=account_id, first_name=first_name, last_name=last_name, **f
        )
        contact.tags = await tags_by_name(s, account_id, tags)
        s.add(contact)
        await s.commit()
        return contact.id


async def add_lead(db: Database, account_id: str, name: str, **fields: Any) -> str:
    async with db.session() as s:
        lead = Lead(id=new_id("lead"), account_id=account_id, name=name, **fields)
        s.add(lead)
        await s.commit()
        return lead.id


async def contact_row(db: Database, contact_id: str) -> Contact | None:
    async with db.session() as s:
        return await s.get(Contact, contact_id)


async def finished(ctx: ToolContext, execution_id: str, seconds: float = 10.0) -> dict[str, Any]:
    """The execution once completed or failed (on a shared PostgreSQL database the test server's
    worker may be the one that ran it)."""
    deadline = time.monotonic() + seconds
    while True:
        execution = await REG.call("get_execution", {"execution_id": execution_id}, ctx)
        if execution["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return execution  # type: ignore[no-any-return]
        await asyncio.sleep(0.05)


async def run_helper(
    ctx: ToolContext,
    helper_type: str,
    config: dict[str, Any],
    *,
    contact_id: str | None = None,
    input: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Create a helper, invoke it through the registry, run the queue, read the execution."""
    helper = await manage.create_helper(
        ctx, name=f"test {helper_type}", helper_type=helper_type, config=config
    )
    args: dict[str, Any] = {"helper_id": helper["helper_id"], "input": input or {}}
    if contact_id:
        args["contact_id"] = contact_id
    queued = await REG.call("invoke_helper", args, ctx)
    assert queued["status"] == "queued"
    await ExecutionWorker(ctx.db).run_pending()
    return await finished(ctx, queued["execution_id"])


async def run_here(
    ctx: ToolContext,
    helper_id: str,
    *,
    contact_id: str | None = None,
    input: dict[str, Any] | None = None,
    http: OutboundHttp | None = None,
    types: HelperTypes = HELPER_TYPES,
    budget_seconds: float = 60.0,
) -> dict[str, Any]:
    """Run an execution in this test's runner, with its own outbound gate and budget. The row is
    written `running`, as a worker's claim leaves it, so no other worker can pick it up."""
    execution = Execution(
        id=new_id("exec"),
        account_id=ctx.principal.account_id,
        helper_id=helper_id,
        user_id=ctx.principal.user_id,
        contact_id=contact_id,
        status="running",
        started_at=utcnow(),
        input=input or {},
    )
    async with ctx.db.session() as s:
        s.add(execution)
        await s.commit()
    await run_execution(ctx.db, types, http or OutboundHttp(), execution.id, budget_seconds=budget_seconds)
    return await REG.call("get_execution", {"execution_id": execution.id}, ctx)  # type: ignore[no-any-return]


def completed(execution: dict[str, Any]) -> dict[str, Any]:
    assert execution["status"] == "completed", execution["error_message"]
    assert execution["duration_ms"] is not None and execution["completed_at"] is not None
    return execution["output"]  # type: ignore[no-any-return]


async def test_tag_it_applies_and_removes_tags(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    cid = await add_contact(ctx.db, acc, "Ada", "Lovelace", tags=("prospect", "VIP"))
    out = completed(
        await run_helper(
            ctx,
            "tag_it",
            {"tag_name": "new-lead", "apply_tags": ["vip"], "remove_tags": ["Prospect"]},
            contact_id=cid,
        )
    )
    assert out["added"] == ["new-lead"] and out["removed"] == ["prospect"]
    contact = await contact_row(ctx.db, cid)
    assert contact is not None and sorted(t.name for t in contact.tags) == ["VIP", "new-lead"]
    again = completed(await run_helper(ctx, "tag_it", {"tag_name": "NEW-LEAD"}, contact_id=cid))
    assert again["added"] == [] and again["tags"] == ["VIP", "new-lead"]
    async with ctx.db.session() as s:
        names = list(await s.scalars(select(Tag.name).where(Tag.account_id == acc)))
    assert sorted(names) == ["VIP", "new-lead", "prospect"]  # no duplicate tag row


async def test_update_field_on_contact_and_lead(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    cid = await add_contact(ctx.db, acc, "Grace", "Hopper", company="Navy")
    out = completed(
        await run_helper(ctx, "update_field", {"field": "company", "value": "Remington Rand"}, contact_id=cid)
    )
    assert (out["old_value"], out["new_value"], out["changed"]) == ("Navy", "Remington Rand", True)
    assert (await contact_row(ctx.db, cid)).company == "Remington Rand"  # type: ignore[union-attr]
    kept = completed(
        await run_helper(
            ctx, "update_field", {"field": "company", "value": "X", "only_if_empty": True}, contact_id=cid
        )
    )
    assert kept["changed"] is False
    lid = await add_lead(ctx.db, acc, "Big deal", value=100.0)
    cfg = {"object": "lead", "field": "value", "value": "25000"}
    lead_out = completed(await run_helper(ctx, "update_field", cfg, input={"lead_id": lid}))
    assert lead_out["new_value"] == 25000.0
    async with ctx.db.session() as s:
        assert (await s.get(Lead, lid)).value == 25000.0  # type: ignore[union-attr]
    with pytest.raises(Invalid, match=r"config: .*lead status must be one of"):
        await manage.create_helper(
            ctx,
            name="bad",
            helper_type="update_field",
            config={"object": "lead", "field": "status", "value": "lost"},
        )
    with pytest.raises(Invalid, match="no writable field 'salary'"):
        await manage.create_helper(ctx, name="bad", helper_type="update_field", config={"field": "salary"})


async def test_copy_field_and_format_name(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    cid = await add_contact(ctx.db, acc, "  jean-luc   o'brien ", company="Starfleet")
    out = completed(
        await run_helper(ctx, "copy_field", {"from_field": "company", "to_field": "position"}, contact_id=cid)
    )
    assert out["changed"] is True and (await contact_row(ctx.db, cid)).position == "Starfleet"  # type: ignore[union-attr]
    skip = completed(
        await run_helper(
            ctx, "copy_field", {"from_field": "first_name", "to_field": "position"}, contact_id=cid
        )
    )
    assert skip["changed"] is False and skip["skipped_because"] == "position already has a value"
    named = completed(await run_helper(ctx, "format_name", {}, contact_id=cid))
    assert named["after"] == {"first_name": "Jean-Luc", "last_name": "O'Brien"}
    row = await contact_row(ctx.db, cid)
    assert row is not None and (row.first_name, row.last_name) == ("Jean-Luc", "O'Brien")
    mc = await add_contact(ctx.db, acc, "ronald", "MCDONALD")
    assert (
        completed(await run_helper(ctx, "format_name", {}, contact_id=mc))["after"]["last_name"] == "McDonald"
    )
    with pytest.raises(Invalid, match="to_field: must differ"):
        await manage.create_helper(
            ctx, name="bad", helper_type="copy_field", config={"from_field": "email", "to_field": "email"}
        )


async def test_date_calc_sets_dates_and_keeps_a_stale_tag_in_step(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    created = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    cid = await add_contact(
        ctx.db,
        acc,
        "Stale",
        "Sam",
        created_at=created,
        last_contact_date=datetime.now(UTC) - timedelta(days=90),
    )
    out = completed(
        await run_helper(
            ctx, "date_calc", {"operation": "days_since", "tag_over_days": 30, "tag": "stale"}, contact_id=cid
        )
    )
    assert out["days_since"] in (89, 90) and out["tags_added"] == ["stale"]
    assert [t.name for t in (await contact_row(ctx.db, cid)).tags] == ["stale"]  # type: ignore[union-attr]
    follow_up = completed(
        await run_helper(ctx, "date_calc", {"base": "created_at", "offset_days": 14}, contact_id=cid)
    )
    assert follow_up["new_value"] == "2026-01-24T12:00:00Z"
    row = await contact_row(ctx.db, cid)
    assert row is not None and row.last_contact_date.replace(tzinfo=UTC) == created + timedelta(days=14)
    fresh = completed(
        await run_helper(
            ctx,
            "date_calc",
            {"operation": "days_since", "field": "created_at", "tag_over_days": 10_000, "tag": "stale"},
            contact_id=cid,
        )
    )
    assert fresh["tags_removed"] == ["stale"] and (await contact_row(ctx.db, cid)).tags == []  # type: ignore[union-attr]


async def test_a_failed_run_changes_nothing_and_says_why(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    cid = await add_contact(ctx.db, acc, "Half", "Done")

    async def tag_then_fail(run: HelperRun, config: HelperConfig, inp: HelperInput) -> dict[str, Any]:
        await edit_tags(run, await contact_for(run, inp), ["should-vanish"])
        raise ToolFailure("the CRM said no")

    types = HelperTypes([HelperType("tag_then_fail", "T", "tagging", "test", HelperConfig, tag_then_fail)])
    async with ctx.db.session() as s:
        s.add(
            Helper(
                id=(hid := new_id("helper")),
                account_id=acc,
                name="t",
                helper_type="tag_then_fail",
                category="tagging",
                config={},
            )
        )
        await s.commit()
    execution = await run_here(ctx, hid, contact_id=cid, types=types)
    assert execution["status"] == "failed" and execution["error_message"] == "the CRM said no"
    assert execution["output"] is None and execution["duration_ms"] is not None
    assert (await contact_row(ctx.db, cid)).tags == []  # type: ignore[union-attr]
    async with ctx.db.session() as s:  # the tag it created went with the rollback
        assert (
            await s.scalar(select(Tag.id).where(Tag.account_id == acc, Tag.name == "should-vanish")) is None
        )
    tagger = await manage.create_helper(ctx, name="t", helper_type="tag_it", config={"tag_name": "x"})
    gone = await run_here(ctx, tagger["helper_id"], contact_id="contact:deleted-after-queueing")
    assert (
        gone["status"] == "failed"
        and gone["error_message"] == "Contact contact:deleted-after-queueing not found"
    )
