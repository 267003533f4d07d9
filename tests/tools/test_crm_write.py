"""CRM write tools through the registry against a real SQLite database."""

from __future__ import annotations

import pytest

from frontdesk.config import Settings
from frontdesk.errors import Forbidden, Invalid, NotFound
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry, default_registry
from frontdesk.types import ROLE_PERMISSIONS, Principal
from tests.conftest import new_identity

WRITE_TOOLS = ("create_contact", "update_contact", "tag_contact", "create_lead", "update_lead", "delete_lead")


@pytest.fixture
def reg() -> ToolRegistry:
    return default_registry()


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    return ToolContext((await new_identity(db, "Writer")).principal(), db, settings)


async def test_contact_create_update_tag(reg: ToolRegistry, ctx: ToolContext) -> None:
    made = await reg.call(
        "create_contact",
        {
            "name": "Ada King Lovelace",
            "email": "ada@engine.example",
            "company": "Analytical",
            "tags": ["VIP"],
        },
        ctx,
    )
    assert made["id"].startswith("contact:")
    assert (made["first_name"], made["last_name"]) == ("Ada", "King Lovelace")
    assert made["tags"] == ["VIP"] and made["status"] == "active"

    changed = await reg.call(
        "update_contact", {"contact_id": made["id"], "phone": "+44 20 7946 0000", "company": ""}, ctx
    )
    assert changed["phone"] == "+44 20 7946 0000"
    assert changed["company"] is None  # an empty string clears
    assert changed["email"] == "ada@engine.example" and changed["tags"] == ["VIP"]  # untouched

    tagged = await reg.call("tag_contact", {"contact_id": made["id"], "tags": ["vip", "math", "Math "]}, ctx)
    assert tagged["tags"] == ["VIP", "math"]  # matched case-insensitively, deduplicated
    untagged = await reg.call("tag_contact", {"contact_id": made["id"], "remove": ["VIP"]}, ctx)
    assert untagged["tags"] == ["math"]

    replaced = await reg.call("update_contact", {"contact_id": made["id"], "tags": ["poet"]}, ctx)
    assert replaced["tags"] == ["poet"]
    found = await reg.call("get_contacts", {"tags": ["poet"]}, ctx)
    assert [c["id"] for c in found["contacts"]] == [made["id"]]
    detail = await reg.call("get_contact_detail", {"contact_id": made["id"]}, ctx)
    assert detail["phone"] == "+44 20 7946 0000" and detail["leads"] == []


async def test_contact_sorting(reg: ToolRegistry, ctx: ToolContext) -> None:
    for name, company in (("Cleo Zed", "Beta"), ("amy Young", "alpha"), ("Bo Xu", None)):
        await reg.call("create_contact", {"name": name} | ({"company": company} if company else {}), ctx)
    by_name = await reg.call("get_contacts", {"sort": "name"}, ctx)
    assert [c["last_name"] for c in by_name["contacts"]] == ["Xu", "Young", "Zed"]
    by_company = await reg.call("get_contacts", {"sort": "company", "order": "desc"}, ctx)
    assert [c["company"] for c in by_company["contacts"]] == ["Beta", "alpha", None]
    newest = await reg.call("get_contacts", {"sort": "created_at", "order": "desc", "limit": 1}, ctx)
    assert newest["contacts"][0]["name"] == "Bo Xu" and newest["has_more"] is True


async def test_lead_lifecycle(reg: ToolRegistry, ctx: ToolContext) -> None:
    contact = await reg.call("create_contact", {"name": "Grace Hopper"}, ctx)
    lead = await reg.call(
        "create_lead",
        {"name": "Grace Hopper", "source": "Referral", "value": 12000, "contact_id": contact["id"]},
        ctx,
    )
    assert (lead["status"], lead["source"], lead["value"]) == ("new", "referral", 12000.0)
    for status in ("contacted", "qualified", "converted"):
        lead = await reg.call("update_lead", {"lead_id": lead["id"], "status": status, "notes": status}, ctx)
        assert lead["status"] == status and lead["notes"] == status
    assert (await reg.call("get_lead", {"lead_id": lead["id"]}, ctx))["status"] == "converted"
    assert (await reg.call("get_contact_detail", {"contact_id": contact["id"]}, ctx))["leads"][0][
        "id"
    ] == lead["id"]
    pipeline = await reg.call("pipeline_summary", {}, ctx)
    assert pipeline["conversion_rate"] == 1.0 and pipeline["total_value"] == 12000.0
    gone = await reg.call("delete_lead", {"lead_id": lead["id"]}, ctx)
    assert gone == {"id": lead["id"], "deleted": True}
    with pytest.raises(NotFound):
        await reg.call("get_lead", {"lead_id": lead["id"]}, ctx)


async def test_bad_values_are_refused(reg: ToolRegistry, ctx: ToolContext) -> None:
    contact = await reg.call("create_contact", {"name": "Valid Person"}, ctx)
    cases = [
        ("create_contact", {"name": "  "}, "name"),
        ("create_contact", {"name": "X", "email": "not-an-email"}, "email"),
        ("create_contact", {"name": "X", "tags": ["t"] * 51}, "tags"),
        ("create_lead", {"name": "X", "status": "won"}, "status"),
        ("create_lead", {"name": "X", "value": -1}, "value"),
        ("create_lead", {"name": "X", "source": "web site"}, "source"),
        ("update_contact", {"contact_id": contact["id"]}, "Nothing to update"),
        ("tag_contact", {"contact_id": contact["id"]}, "add or remove"),
        ("create_lead", {"name": "X", "contact_id": "contact:nope"}, "contact_id"),
    ]
    for tool, args, match in cases:
        with pytest.raises(Invalid, match=match):
            await reg.call(tool, args, ctx)


async def test_another_accounts_records_are_not_found(
    reg: ToolRegistry, ctx: ToolContext, db: Database, settings: Settings
) -> None:
    contact = await reg.call("create_contact", {"name": "Mine Only"}, ctx)
    lead = await reg.call("create_lead", {"name": "Mine Only"}, ctx)
    other = ToolContext((await new_identity(db, "Intruder")).principal(), db, settings)
    for tool, args in (
        ("get_contact_detail", {"contact_id": contact["id"]}),
        ("update_contact", {"contact_id": contact["id"], "name": "Stolen"}),
        ("tag_contact", {"contact_id": contact["id"], "tags": ["x"]}),
        ("get_lead", {"lead_id": lead["id"]}),
        ("update_lead", {"lead_id": lead["id"], "status": "qualified"}),
        ("delete_lead", {"lead_id": lead["id"]}),
    ):
        with pytest.raises(NotFound):
            await reg.call(tool, args, other)
    with pytest.raises(Invalid, match="contact_id"):  # cannot link a lead to someone else's contact
        await reg.call("create_lead", {"name": "X", "contact_id": contact["id"]}, other)
    assert (await reg.call("get_contact_detail", {"contact_id": contact["id"]}, ctx))["name"] == "Mine Only"
    assert (await reg.call("get_lead", {"lead_id": lead["id"]}, ctx))["status"] == "new"


async def test_viewer_cannot_write(reg: ToolRegistry, ctx: ToolContext) -> None:
    p = ctx.principal
    viewer = Principal(p.user_id, p.account_id, "Viewer", ROLE_PERMISSIONS["Viewer"])
    vctx = ToolContext(viewer, ctx.db, ctx.settings)
    with pytest.raises(Forbidden):
        await reg.call("create_contact", {"name": "Nope"}, vctx)
    with pytest.raises(Forbidden):  # the function itself refuses, not only the registry
        await reg.get("create_lead").fn(vctx, name="Nope")
    visible = {s.name for s in reg.visible_to(viewer)}
    assert "get_contacts" in visible and not visible & set(WRITE_TOOLS)
    assert (await reg.call("get_contacts", {}, ctx))["total"] == 0  # nothing was written


def test_write_tools_are_marked_for_mcp(reg: ToolRegistry) -> None:
    for name in WRITE_TOOLS:
        spec = reg.get(name)
        assert spec.read_only is False and spec.permission == "crm.write", name
    for name in ("get_contacts", "get_lead", "get_connections", "query_crm_data"):
        assert reg.get(name).read_only is True and reg.get(name).permission == "crm.read"
    assert reg.get("update_lead").parameters["properties"]["status"]["anyOf"][0]["enum"] == [
        "new",
        "contacted",
        "qualified",
        "converted",
    ]
