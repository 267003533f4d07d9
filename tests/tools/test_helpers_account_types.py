"""score_lead, set_lead_status, assign_owner, dedupe_contacts and notify, run end to end against a
real SQLite database (see test_helpers_types for the harness)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from frontdesk.config import Settings
from frontdesk.storage import helper_records
from frontdesk.storage.db import Database
from frontdesk.storage.helper_models import HelperNotification
from frontdesk.storage.models import Lead, Membership
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers import manage
from frontdesk.tools.helpers.worker import ExecutionWorker
from frontdesk.types import ROLE_PERMISSIONS
from tests.conftest import new_identity
from tests.tools.test_helpers_types import (
    REG,
    add_contact,
    add_lead,
    completed,
    contact_row,
    finished,
    run_helper,
)


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    return ToolContext((await new_identity(db, "Accounts")).principal(), db, settings)


async def test_score_lead_computes_from_lead_fields_and_tags_the_tier(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    cid = await add_contact(ctx.db, acc, "Hot", "Prospect", tags=("lead-cold",))
    lid = await add_lead(
        ctx.db,
        acc,
        "Hot Prospect",
        contact_id=cid,
        status="qualified",
        source="referral",
        value=12_500.0,
        email="hot@example.com",
        company="Acme",
    )
    out = completed(await run_helper(ctx, "score_lead", {}, contact_id=cid))
    assert out["lead_id"] == lid
    assert out["breakdown"] == {"status": 35, "source": 20, "value": 12, "contact_info": 10, "recency": 10}
    assert (out["score"], out["tier"]) == (87, "hot")
    assert [t.name for t in (await contact_row(ctx.db, cid)).tags] == ["lead-hot"]  # type: ignore[union-attr]
    old = datetime.now(UTC) - timedelta(days=200)
    cold = await add_lead(ctx.db, acc, "Cold", status="new", source="ads", value=0.0, created_at=old)
    cold_out = completed(await run_helper(ctx, "score_lead", {"tag_contact": False}, input={"lead_id": cold}))
    assert (cold_out["score"], cold_out["tier"]) == (15, "cold")
    custom = {"tiers": {"vip": 10}, "status_points": {"new": 100}}
    assert completed(await run_helper(ctx, "score_lead", custom, input={"lead_id": cold}))["score"] == 100


async def test_set_lead_status_respects_only_from(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    lid = await add_lead(ctx.db, acc, "Pipeline", status="contacted")
    cfg = {"status": "qualified", "only_from": ["new"]}
    assert (
        completed(await run_helper(ctx, "set_lead_status", cfg, input={"lead_id": lid}))["changed"] is False
    )
    cfg["only_from"] = ["new", "contacted"]
    out = completed(await run_helper(ctx, "set_lead_status", cfg, input={"lead_id": lid}))
    assert (out["old_status"], out["new_status"]) == ("contacted", "qualified")
    async with ctx.db.session() as s:
        assert (await s.get(Lead, lid)).status == "qualified"  # type: ignore[union-attr]


async def test_assign_owner_round_robin_least_loaded_and_members_only(ctx: ToolContext, db: Database) -> None:
    acc = ctx.principal.account_id
    colleague = await new_identity(db, "Colleague")
    async with db.session() as s:
        s.add(
            Membership(
                account_id=acc,
                user_id=colleague.user.id,
                role="Member",
                permissions=sorted(ROLE_PERMISSIONS["Member"]),
            )
        )
        await s.commit()
    me, them = ctx.principal.user_id, colleague.user.id
    helper = await manage.create_helper(
        ctx, name="rr", helper_type="assign_owner", config={"user_ids": [me, them]}
    )
    contacts = [await add_contact(db, acc, f"C{i}") for i in range(3)]
    args = [{"helper_id": helper["helper_id"], "contact_id": cid} for cid in contacts]
    queued = [(await REG.call("invoke_helper", a, ctx))["execution_id"] for a in args]
    await asyncio.gather(ExecutionWorker(db).run_pending(), ExecutionWorker(db).run_pending())
    for eid in queued:
        completed(await finished(ctx, eid))
    async with db.session() as s:
        owners = [(await helper_records.owner_of(s, acc, cid)).owner_user_id for cid in contacts]  # type: ignore[union-attr]
    assert owners == [me, them, me]
    least = completed(
        await run_helper(
            ctx,
            "assign_owner",
            {"strategy": "least_loaded", "user_ids": [me, them]},
            contact_id=await add_contact(db, acc, "D"),
        )
    )
    assert least["owner_user_id"] == them and least["owner_name"] == "Colleague"
    kept = completed(
        await run_helper(
            ctx, "assign_owner", {"strategy": "fixed", "user_ids": [them]}, contact_id=contacts[0]
        )
    )
    assert kept["changed"] is False and kept["owner_user_id"] == me  # no overwrite by default
    outsider = await new_identity(db, "Outsider")
    failed = await run_helper(
        ctx,
        "assign_owner",
        {"strategy": "fixed", "user_ids": [outsider.user.id]},
        contact_id=await add_contact(db, acc, "E"),
    )
    assert failed["status"] == "failed" and outsider.user.id in failed["error_message"]


async def test_dedupe_contacts_flags_then_merges(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    old = datetime(2026, 1, 1, tzinfo=UTC)
    a = await add_contact(ctx.db, acc, "Ann", "Lee", tags=("customer",), email="ann@x.com", created_at=old)
    b = await add_contact(
        ctx.db,
        acc,
        "Ann",
        "Lee",
        tags=("newsletter",),
        email=" ANN@x.com ",
        phone="+1 (555) 010-2030",
        notes="met at expo",
        created_at=old + timedelta(days=3),
    )
    other = await add_contact(ctx.db, acc, "Bob", "Lee", email="bob@x.com", created_at=old)
    lead = await add_lead(ctx.db, acc, "Ann's deal", contact_id=b)
    flagged = completed(await run_helper(ctx, "dedupe_contacts", {"action": "flag"}))
    assert (flagged["groups"], flagged["duplicates"]) == (1, 1)
    assert flagged["details"] == [{"primary_id": a, "duplicate_ids": [b]}]
    assert "duplicate" in [t.name for t in (await contact_row(ctx.db, b)).tags]  # type: ignore[union-attr]
    assert "duplicate" not in [t.name for t in (await contact_row(ctx.db, a)).tags]  # type: ignore[union-attr]
    merged = completed(
        await run_helper(
            ctx, "dedupe_contacts", {"action": "merge", "match_on": ["email", "name"]}, contact_id=a
        )
    )
    assert merged["duplicates"] == 1
    assert await contact_row(ctx.db, b) is None
    primary = await contact_row(ctx.db, a)
    assert primary is not None and primary.phone == "+1 (555) 010-2030" and primary.notes == "met at expo"
    assert sorted(t.name for t in primary.tags) == ["customer", "duplicate", "newsletter"]
    async with ctx.db.session() as s:
        assert (await s.get(Lead, lead)).contact_id == a  # type: ignore[union-attr]
    assert await contact_row(ctx.db, other) is not None
    assert completed(await run_helper(ctx, "dedupe_contacts", {}))["groups"] == 0


async def test_notify_records_a_notification_with_the_contact_filled_in(ctx: ToolContext) -> None:
    acc = ctx.principal.account_id
    cid = await add_contact(ctx.db, acc, "Lin", "Chen", company="Globex")
    cfg = {
        "title": "Call {first_name} {last_name}",
        "message": "{company} asked about {input.topic} {unknown}",
        "level": "warning",
    }
    out = completed(await run_helper(ctx, "notify", cfg, contact_id=cid, input={"topic": "pricing"}))
    assert out["recipients"] == [ctx.principal.user_id]
    async with ctx.db.session() as s:
        notes = list(await s.scalars(select(HelperNotification).where(HelperNotification.account_id == acc)))
    assert len(notes) == 1 and notes[0].id == out["notification_ids"][0]
    assert (notes[0].title, notes[0].message) == ("Call Lin Chen", "Globex asked about pricing {unknown}")
    assert (notes[0].level, notes[0].user_id, notes[0].contact_id) == ("warning", ctx.principal.user_id, cid)
