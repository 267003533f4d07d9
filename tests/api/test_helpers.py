"""`/helpers` through the real server: types, CRUD with schema validation, executing a helper until
it completes or fails, disabled helpers, Viewer permissions and account isolation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
from sqlalchemy import update

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.ids import new_id
from frontdesk.storage.models import Contact, Membership, User
from frontdesk.types import ROLE_PERMISSIONS
from tests.conftest import auth, register

T = TypeVar("T")


def on_server_db(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the running server's own database file."""

    async def run() -> T:
        db = Database(settings.resolved_database_url)
        try:
            return await work(db)
        finally:
            await db.close()

    return asyncio.run(run())


def owner(client: httpx.Client, name: str = "Owner") -> tuple[dict[str, str], str]:
    """A new user owning a new, empty account: (auth headers, account id)."""
    tokens = register(client, name)
    return auth(tokens), str(tokens["user"]["current_account_id"])  # type: ignore[index]


def add_contacts(settings: Settings, account_id: str, *names: str) -> list[str]:
    async def work(db: Database) -> list[str]:
        rows = [
            Contact(id=new_id("contact"), account_id=account_id, first_name=n, last_name="Test")
            for n in names
        ]
        async with db.session() as s:
            s.add_all(rows)
            await s.commit()
        return [r.id for r in rows]

    return on_server_db(settings, work)


def contact_tags(settings: Settings, contact_id: str) -> list[str]:
    async def work(db: Database) -> list[str]:
        async with db.session() as s:
            contact = await s.get(Contact, contact_id)
            return sorted(t.name for t in contact.tags) if contact else []

    return on_server_db(settings, work)


def wait_for(client: httpx.Client, headers: dict[str, str], execution_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    seen = set()
    while time.monotonic() < deadline:
        r = client.get(f"/executions/{execution_id}", headers=headers)
        assert r.status_code == 200, r.text
        seen.add(r.json()["status"])
        if r.json()["status"] in ("completed", "failed"):
            assert seen <= {"queued", "running", "completed", "failed"}
            return r.json()  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"{execution_id} still {seen} after 20s")


def test_types_are_listed_with_schemas(client: httpx.Client) -> None:
    headers, _ = owner(client)
    r = client.get("/helpers/types", headers=headers)
    assert r.status_code == 200
    body = r.json()
    names = {t["type"] for t in body["types"]}
    assert body["total_count"] == len(body["types"]) >= 10
    assert {"tag_it", "update_field", "copy_field", "format_name", "score_lead", "assign_owner"} <= names
    assert {"date_calc", "dedupe_contacts", "notify", "webhook_call"} <= names
    assert all(t["config_schema"]["type"] == "object" for t in body["types"])
    assert set(body["categories"]) <= {
        "analytics",
        "automation",
        "contact",
        "data",
        "integration",
        "notification",
        "tagging",
    }
    one = client.get("/helpers/types/tag_it", headers=headers).json()
    assert one["category"] == "tagging" and "tag_name" in one["config_schema"]["properties"]
    missing = client.get("/helpers/types/no_such_type", headers=headers)
    assert missing.status_code == 404 and "no_such_type" in missing.json()["detail"]
    assert client.get("/helpers/types").status_code == 401


def test_crud_with_config_validation(client: httpx.Client) -> None:
    headers, _ = owner(client)
    r = client.post(
        "/helpers",
        headers=headers,
        json={
            "name": "Tag New Leads",
            "helper_type": "tag_it",
            "description": "tags",
            "config": {"tag_name": "new-lead"},
        },
    )
    assert r.status_code == 201, r.text
    created = r.json()
    hid = created["helper_id"]
    assert (
        hid.startswith("helper:") and created["category"] == "tagging" and created["created_at"].endswith("Z")
    )
    listed = client.get("/helpers", headers=headers).json()
    assert listed["total_count"] == 1 and listed["helpers"][0]["execution_count"] == 0
    detail = client.get(f"/helpers/{hid}", headers=headers).json()
    assert detail["config"] == {"tag_name": "new-lead", "apply_tags": [], "remove_tags": []}
    assert "tag_name" in detail["config_schema"]["properties"] and detail["enabled"] is True
    r = client.put(
        f"/helpers/{hid}", headers=headers, json={"name": "Renamed", "config": {"apply_tags": ["a"]}}
    )
    assert (
        r.status_code == 200 and r.json()["name"] == "Renamed" and r.json()["config"]["apply_tags"] == ["a"]
    )
    bad_update = client.put(f"/helpers/{hid}", headers=headers, json={"config": {"tag_name": ""}})
    assert bad_update.status_code == 400 and "config.tag_name" in bad_update.json()["detail"]
    assert client.get(f"/helpers/{hid}", headers=headers).json()["config"]["apply_tags"] == ["a"]  # unchanged
    assert client.put(f"/helpers/{hid}", headers=headers, json={"enabled": None}).status_code == 400
    r = client.delete(f"/helpers/{hid}", headers=headers)
    assert r.status_code == 200 and r.json() == {"helper_id": hid, "status": "deleted"}
    assert client.get(f"/helpers/{hid}", headers=headers).status_code == 404
    assert client.get("/helpers", headers=headers).json()["total_count"] == 0
    assert client.post(f"/helpers/{hid}/execute", headers=headers, json={}).status_code == 404


def test_bad_helpers_are_refused_naming_the_field(client: httpx.Client) -> None:
    headers, _ = owner(client)
    cases = [
        ({"name": "x", "helper_type": "nope"}, 400, "helper_type: unknown helper type 'nope'"),
        (
            {"name": "x", "helper_type": "tag_it", "config": {}},
            400,
            "set tag_name, apply_tags or remove_tags",
        ),
        (
            {"name": "x", "helper_type": "tag_it", "config": {"tag_name": "a", "bogus": 1}},
            400,
            "config.bogus",
        ),
        ({"name": "x", "helper_type": "notify", "config": {}}, 400, "config.title: Field required"),
        (
            {"name": "x", "helper_type": "score_lead", "config": {"tiers": {"hot": 101}}},
            400,
            "config.tiers.hot",
        ),
        (
            {"name": "x", "helper_type": "tag_it", "category": "data", "config": {"tag_name": "a"}},
            400,
            "category",
        ),
        (
            {"name": "x", "helper_type": "tag_it", "connection_id": "conn:nope", "config": {"tag_name": "a"}},
            400,
            "connection_id",
        ),
        ({"helper_type": "tag_it", "config": {"tag_name": "a"}}, 422, "name: Field required"),
        ({"name": "", "helper_type": "tag_it"}, 422, "name"),
        (
            {"name": "x", "helper_type": "webhook_call", "config": {"url": "http://127.0.0.1:8000/admin"}},
            400,
            "config.url: 127.0.0.1 is a loopback address",
        ),
    ]
    for body, status, detail in cases:
        r = client.post("/helpers", headers=headers, json=body)
        assert r.status_code == status, (body, r.text)
        assert detail in r.json()["detail"], (body, r.json())
    assert client.get("/helpers", headers=headers).json()["total_count"] == 0
    r = client.get("/helpers?limit=101", headers=headers)
    assert r.status_code == 422 and "limit" in r.json()["detail"]


def test_execute_until_completed_and_failed(client: httpx.Client, server_settings: Settings) -> None:
    headers, account_id = owner(client)
    (cid,) = add_contacts(server_settings, account_id, "Exec")
    hid = client.post(
        "/helpers",
        headers=headers,
        json={"name": "t", "helper_type": "tag_it", "config": {"apply_tags": ["api-tagged"]}},
    ).json()["helper_id"]
    r = client.post(
        f"/helpers/{hid}/execute", headers=headers, json={"contact_id": cid, "input": {"why": "test"}}
    )
    assert r.status_code == 202, r.text
    queued = r.json()
    assert queued["status"] == "queued" and queued["helper_id"] == hid and queued["started_at"].endswith("Z")
    done = wait_for(client, headers, queued["execution_id"])
    assert done["status"] == "completed", done["error_message"]
    assert done["output"]["added"] == ["api-tagged"] and done["input"] == {"why": "test"}
    assert done["contact_id"] == cid and done["duration_ms"] >= 0 and done["error_message"] == ""
    assert done["created_at"] <= done["started_at"] <= done["completed_at"]
    assert contact_tags(server_settings, cid) == ["api-tagged"]
    assert client.get(f"/helpers/{hid}", headers=headers).json()["execution_count"] == 1

    bad = client.post(
        "/helpers",
        headers=headers,
        json={
            "name": "a",
            "helper_type": "assign_owner",
            "config": {"strategy": "fixed", "user_ids": ["user:ghost"]},
        },
    )
    r = client.post(f"/helpers/{bad.json()['helper_id']}/execute", headers=headers, json={"contact_id": cid})
    failed = wait_for(client, headers, r.json()["execution_id"])
    assert (
        failed["status"] == "failed" and "user:ghost" in failed["error_message"] and failed["output"] is None
    )

    no_target = client.post(f"/helpers/{hid}/execute", headers=headers, json={})
    assert no_target.status_code == 400 and "contact_id" in no_target.json()["detail"]
    ghost = client.post(f"/helpers/{hid}/execute", headers=headers, json={"contact_id": "contact:nope"})
    assert ghost.status_code == 404


def test_disabled_helper_is_400(client: httpx.Client) -> None:
    headers, _ = owner(client)
    hid = client.post(
        "/helpers", headers=headers, json={"name": "n", "helper_type": "notify", "config": {"title": "hi"}}
    ).json()["helper_id"]
    assert client.put(f"/helpers/{hid}", headers=headers, json={"enabled": False}).json()["enabled"] is False
    r = client.post(f"/helpers/{hid}/execute", headers=headers, json={})
    assert r.status_code == 400 and "disabled" in r.json()["detail"]
    assert client.get("/helpers?enabled=false", headers=headers).json()["total_count"] == 1
    assert client.get("/helpers?enabled=true", headers=headers).json()["total_count"] == 0


def test_viewer_may_read_but_not_manage_or_execute(client: httpx.Client, server_settings: Settings) -> None:
    headers, account_id = owner(client)
    hid = client.post(
        "/helpers", headers=headers, json={"name": "n", "helper_type": "notify", "config": {"title": "hi"}}
    ).json()["helper_id"]
    viewer = register(client, "Viewer")

    async def make_viewer(db: Database) -> None:  # move the new user into the owner's account as a Viewer
        uid = viewer["user"]["user_id"]  # type: ignore[index]
        async with db.session() as s:
            await s.execute(
                update(Membership)
                .where(Membership.user_id == uid)
                .values(account_id=account_id, role="Viewer", permissions=sorted(ROLE_PERMISSIONS["Viewer"]))
            )
            await s.execute(update(User).where(User.id == uid).values(current_account_id=account_id))
            await s.commit()

    on_server_db(server_settings, make_viewer)
    login = client.post("/auth/login", json={"email": viewer["email"], "password": viewer["password"]})
    as_viewer = auth(login.json())
    assert client.get("/helpers", headers=as_viewer).json()["total_count"] == 1
    assert client.get(f"/helpers/{hid}", headers=as_viewer).status_code == 200
    for method, path, body in [
        ("POST", "/helpers", {"name": "x", "helper_type": "notify", "config": {"title": "x"}}),
        ("PUT", f"/helpers/{hid}", {"name": "y"}),
        ("DELETE", f"/helpers/{hid}", None),
        ("POST", f"/helpers/{hid}/execute", {}),
    ]:
        r = client.request(method, path, headers=as_viewer, json=body)
        assert r.status_code == 403, (method, path, r.text)
        assert "can_" in r.json()["detail"]
    assert client.get(f"/helpers/{hid}", headers=headers).json()["name"] == "n"


def test_other_accounts_helpers_and_executions_are_404(client: httpx.Client) -> None:
    a, _ = owner(client, "Alice")
    b, _ = owner(client, "Bob")
    hid = client.post(
        "/helpers", headers=a, json={"name": "n", "helper_type": "notify", "config": {"title": "hi"}}
    ).json()["helper_id"]
    eid = client.post(f"/helpers/{hid}/execute", headers=a, json={}).json()["execution_id"]
    wait_for(client, a, eid)
    assert client.get(f"/helpers/{hid}", headers=b).status_code == 404
    assert client.put(f"/helpers/{hid}", headers=b, json={"name": "mine"}).status_code == 404
    assert client.delete(f"/helpers/{hid}", headers=b).status_code == 404
    assert client.post(f"/helpers/{hid}/execute", headers=b, json={}).status_code == 404
    assert client.get(f"/executions/{eid}", headers=b).status_code == 404
    assert client.get("/helpers", headers=b).json()["total_count"] == 0
    assert client.get("/executions", headers=b).json()["total_count"] == 0
    assert client.get(f"/executions?helper_id={hid}", headers=b).json()["executions"] == []
    assert client.get(f"/helpers/{hid}", headers=a).json()["name"] == "n"
