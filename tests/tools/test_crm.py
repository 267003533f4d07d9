"""CRM tools against a real database with the demo data."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from frontdesk import clock
from frontdesk.config import Settings
from frontdesk.errors import Forbidden, Invalid, NotFound
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from frontdesk.types import Principal
from tests.conftest import demo_identity, new_identity

pytestmark = pytest.mark.usefixtures("pinned_today")


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    return ToolContext((await demo_identity(db)).principal(), db, settings)


async def test_get_contacts_by_tag(ctx: ToolContext) -> None:
    reg = default_registry()
    vip = await reg.call("get_contacts", {"tags": ["vip"], "limit": 100}, ctx)
    assert vip["total"] > 0
    assert all("VIP" in c["tags"] for c in vip["contacts"])
    both = await reg.call("get_contacts", {"tags": ["VIP", "customer"], "limit": 100}, ctx)
    assert both["total"] <= vip["total"]
    assert all({"VIP", "customer"} <= set(c["tags"]) for c in both["contacts"])


async def test_get_contacts_search_company_dates_and_paging(ctx: ToolContext) -> None:
    reg = default_registry()
    everyone = await reg.call("get_contacts", {"limit": 100}, ctx)
    assert everyone["total"] == 150 and everyone["has_more"] is True
    page2 = await reg.call("get_contacts", {"limit": 100, "offset": 100}, ctx)
    assert len(page2["contacts"]) == 50 and page2["has_more"] is False
    assert not {c["id"] for c in everyone["contacts"]} & {c["id"] for c in page2["contacts"]}
    first = everyone["contacts"][0]
    by_name = await reg.call("get_contacts", {"search": first["last_name"].upper()}, ctx)
    assert first["id"] in {c["id"] for c in by_name["contacts"]}
    acme = await reg.call("get_contacts", {"company": "acme", "limit": 100}, ctx)
    assert acme["total"] > 0 and all(c["company"] == "Acme Corp" for c in acme["contacts"])
    today = clock.today()
    recent = await reg.call(
        "get_contacts",
        {"created_from": str(today - timedelta(days=30)), "created_to": str(today), "limit": 100},
        ctx,
    )
    assert 0 < recent["total"] < 150
    cutoff = (today - timedelta(days=30)).isoformat()
    assert all(c["created_at"][:10] >= cutoff for c in recent["contacts"])


async def test_invalid_arguments_are_refused(ctx: ToolContext) -> None:
    reg = default_registry()
    with pytest.raises(Invalid, match="limit"):
        await reg.call("get_contacts", {"limit": 1000}, ctx)
    with pytest.raises(Invalid, match="unknown_arg"):
        await reg.call("get_contacts", {"unknown_arg": 1}, ctx)
    with pytest.raises(Invalid, match="after"):
        await reg.call("get_contacts", {"created_from": "2026-02-01", "created_to": "2026-01-01"}, ctx)
    with pytest.raises(Invalid, match="status"):
        await reg.call("list_leads", {"status": "lost"}, ctx)
    with pytest.raises(NotFound):
        await reg.call("no_such_tool", {}, ctx)


async def test_contact_detail_and_isolation(db: Database, ctx: ToolContext, settings: Settings) -> None:
    reg = default_registry()
    some = (await reg.call("get_contacts", {"limit": 1}, ctx))["contacts"][0]
    detail = await reg.call("get_contact_detail", {"contact_id": some["id"]}, ctx)
    assert detail["name"] == some["name"] and "leads" in detail
    other = ToolContext((await new_identity(db)).principal(), db, settings)
    with pytest.raises(NotFound):
        await reg.call("get_contact_detail", {"contact_id": some["id"]}, other)
    assert (await reg.call("get_contacts", {}, other))["total"] == 0
    assert (await reg.call("list_leads", {}, other))["total"] == 0
    assert (await reg.call("pipeline_summary", {}, other))["total_leads"] == 0


async def test_leads_and_pipeline_agree(ctx: ToolContext) -> None:
    reg = default_registry()
    pipeline = await reg.call("pipeline_summary", {}, ctx)
    assert [s["status"] for s in pipeline["stages"]] == ["new", "contacted", "qualified", "converted"]
    for stage in pipeline["stages"]:
        leads = await reg.call("list_leads", {"status": stage["status"], "limit": 1}, ctx)
        assert leads["total"] == stage["count"]
        assert leads["total_value"] == pytest.approx(stage["value"])
    assert sum(s["count"] for s in pipeline["stages"]) == pipeline["total_leads"]
    referral = await reg.call("list_leads", {"source": "referral", "limit": 100}, ctx)
    assert referral["total"] > 0 and all(lead["source"] == "referral" for lead in referral["leads"])


async def test_permission_is_checked_in_the_tool_layer(db: Database, settings: Settings) -> None:
    identity = await demo_identity(db)
    no_crm = Principal(identity.user.id, identity.account.id, "Viewer", frozenset({"chat"}))
    reg = default_registry()
    with pytest.raises(Forbidden):
        await reg.call("get_contacts", {}, ToolContext(no_crm, db, settings))
    spec = reg.get("get_contacts")
    with pytest.raises(Forbidden):  # the function itself refuses, not only the registry
        await spec.fn(ToolContext(no_crm, db, settings))
    assert all(s.permission == "chat" for s in reg.visible_to(no_crm))  # no CRM tool is listed


def test_schemas_come_from_signatures() -> None:
    spec = default_registry().get("get_contacts")
    props = spec.parameters["properties"]
    assert set(props) == {
        "search",
        "tags",
        "company",
        "created_from",
        "created_to",
        "sort",
        "order",
        "limit",
        "offset",
        "cursor",
    }
    assert props["sort"]["enum"] == ["name", "company", "created_at"]
    assert props["limit"]["maximum"] == 100
    assert "ctx" not in props
    assert spec.description.startswith("Search the account's CRM contacts")
    assert date  # the date type is used for created_from/created_to
    assert props["created_from"]["anyOf"][0]["format"] == "date"
