"""`/api/contacts` over real HTTP (a real uvicorn server): CRUD, search, tags, sort, pagination,
isolation and permissions."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import update

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.models import Membership
from frontdesk.types import ROLE_PERMISSIONS
from tests.conftest import DEMO_CONTACTS, auth, demo_login, register


def make_viewer(settings: Settings, user_id: str) -> None:
    """Demote a user to Viewer in the server's own database."""

    async def run() -> None:
        db = Database(settings.resolved_database_url)
        async with db.session() as s:
            await s.execute(
                update(Membership)
                .where(Membership.user_id == user_id)
                .values(role="Viewer", permissions=sorted(ROLE_PERMISSIONS["Viewer"]))
            )
            await s.commit()
        await db.close()

    asyncio.run(run())


def _create(client: httpx.Client, headers: dict[str, str], **body: object) -> dict:
    r = client.post("/api/contacts", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_contact_crud_in_crm_mvp_shape(client: httpx.Client) -> None:
    h = auth(register(client, "Crud"))
    made = _create(
        client,
        h,
        name="Alice Johnson",
        email="alice@company.example",
        phone="+1555123456",
        company="Innovation Inc",
        position="CTO",
        tags=["decision-maker", "technical"],
        notes="Key technical decision maker",
    )
    assert set(made) >= {"id", "name", "email", "phone", "company", "position", "tags", "lastContactDate"}
    assert set(made) >= {"status", "notes", "createdAt", "updatedAt", "firstName", "lastName"}
    assert made["tags"] == ["decision-maker", "technical"] and made["createdAt"].endswith("Z")

    one = client.get(f"/api/contacts/{made['id']}", headers=h).json()
    assert one["name"] == "Alice Johnson" and one["leads"] == []

    r = client.put(f"/api/contacts/{made['id']}", json={"position": "CEO", "notes": ""}, headers=h)
    assert r.status_code == 200 and r.json()["position"] == "CEO" and r.json()["notes"] is None
    assert r.json()["email"] == "alice@company.example"

    r = client.post(
        f"/api/contacts/{made['id']}/tags", json={"tags": ["VIP"], "remove": ["technical"]}, headers=h
    )
    assert r.status_code == 200 and r.json()["tags"] == ["VIP", "decision-maker"]
    assert client.get("/api/contacts?tags=VIP", headers=h).json()["total"] == 1


def test_search_tags_sort_and_pagination(client: httpx.Client) -> None:
    h = auth(register(client, "Lister"))
    people = [
        ("Dana Quinn", "Zeta", ["vip", "newsletter"]),
        ("Eli Adams", "Acme", ["newsletter"]),
        ("Fay Brook", "Mid Co", ["vip"]),
        ("Gus Crane", "Acme", []),
    ]
    for name, company, tags in people:
        _create(
            client, h, name=name, company=company, tags=tags, email=f"{name.split()[0].lower()}@x.example"
        )

    page = client.get("/api/contacts?limit=2&offset=0", headers=h).json()
    assert page["total"] == 4 and page["pagination"] == {"limit": 2, "offset": 0, "hasMore": True}
    assert [c["name"] for c in page["contacts"]] == ["Eli Adams", "Fay Brook"]  # last name, ascending
    last = client.get("/api/contacts?limit=2&offset=2", headers=h).json()
    assert [c["name"] for c in last["contacts"]] == ["Gus Crane", "Dana Quinn"]
    assert last["pagination"]["hasMore"] is False

    by_company = client.get("/api/contacts?sort=company&order=desc", headers=h).json()["contacts"]
    assert [c["company"] for c in by_company] == ["Zeta", "Mid Co", "Acme", "Acme"]
    newest = client.get("/api/contacts?sort=createdAt&order=desc&limit=1", headers=h).json()["contacts"]
    assert newest[0]["name"] == "Gus Crane"

    both = client.get("/api/contacts?tags=vip,%20newsletter", headers=h).json()
    assert [c["name"] for c in both["contacts"]] == ["Dana Quinn"]
    acme = client.get("/api/contacts?search=ACME", headers=h).json()
    assert {c["name"] for c in acme["contacts"]} == {"Eli Adams", "Gus Crane"}
    assert client.get("/api/contacts?search=fay@", headers=h).json()["total"] == 1


def test_demo_account_pages_through_every_contact(client: httpx.Client) -> None:
    h = demo_login(client)
    ids: list[str] = []
    offset = 0
    while True:
        page = client.get(f"/api/contacts?limit=100&offset={offset}", headers=h).json()
        ids += [c["id"] for c in page["contacts"]]
        if not page["pagination"]["hasMore"]:
            break
        offset += 100
    assert len(ids) == len(set(ids)) == page["total"] >= DEMO_CONTACTS


def test_bad_input_is_4xx_with_detail(client: httpx.Client) -> None:
    h = auth(register(client, "Bad"))
    made = _create(client, h, name="Someone Real")
    for method, url, body in (
        ("get", "/api/contacts?limit=0", None),
        ("get", "/api/contacts?limit=101", None),
        ("get", "/api/contacts?sort=email", None),
        ("get", "/api/contacts?order=up", None),
        ("post", "/api/contacts", {"email": "x@y.example"}),
        ("post", "/api/contacts", {"name": "X", "email": "nope"}),
        ("post", "/api/contacts", {"name": "X", "unknown": 1}),
        ("put", f"/api/contacts/{made['id']}", {}),
        ("post", f"/api/contacts/{made['id']}/tags", {"tags": []}),
        ("post", f"/api/contacts/{made['id']}/tags", {"tags": ["x" * 101]}),
    ):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code in (400, 422), (url, body, r.status_code)
        assert isinstance(r.json()["detail"], str) and r.json()["detail"], (url, body)
    assert client.get("/api/contacts", headers={}).status_code == 401


def test_another_accounts_contacts_are_404(client: httpx.Client) -> None:
    owner = auth(register(client, "Owner"))
    other = auth(register(client, "Other"))
    made = _create(client, owner, name="Private Person", tags=["secret"])
    for method, url, body in (
        ("get", f"/api/contacts/{made['id']}", None),
        ("put", f"/api/contacts/{made['id']}", {"name": "Hijacked"}),
        ("post", f"/api/contacts/{made['id']}/tags", {"tags": ["mine"]}),
    ):
        r = client.request(method, url, json=body, headers=other)
        assert r.status_code == 404, (method, url)
        assert "not found" in r.json()["detail"]
    listing = client.get("/api/contacts?search=Private", headers=other).json()
    assert listing["total"] == 0 and listing["contacts"] == []
    assert client.get("/api/contacts?tags=secret", headers=other).json()["total"] == 0
    mine = client.get(f"/api/contacts/{made['id']}", headers=owner).json()
    assert mine["name"] == "Private Person" and mine["tags"] == ["secret"]


def test_viewer_can_read_but_not_write(client: httpx.Client, server_settings: Settings) -> None:
    tokens = register(client, "Viewer")
    h = auth(tokens)
    made = _create(client, h, name="Before Demotion")
    make_viewer(server_settings, tokens["user"]["user_id"])
    assert client.get(f"/api/contacts/{made['id']}", headers=h).status_code == 200
    for method, url, body in (
        ("post", "/api/contacts", {"name": "Not Allowed"}),
        ("put", f"/api/contacts/{made['id']}", {"name": "Not Allowed"}),
        ("post", f"/api/contacts/{made['id']}/tags", {"tags": ["x"]}),
    ):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == 403, (method, url)
        assert "crm.write" in r.json()["detail"]
    assert client.get("/api/contacts", headers=h).json()["total"] == 1


def test_tag_filters_page_by_offset_and_cursor(client: httpx.Client) -> None:
    """Contacts carrying every tag asked for: exact totals, offset pages and cursor pages agree,
    and a cursor of one tag filter is refused on another (400, not another list's position)."""
    h = auth(register(client, "Tagged"))
    marks = {"gold": lambda i: i % 2 == 0, "east": lambda i: i % 3 == 0, "rare": lambda i: i in (6, 12)}
    for i in range(18):
        tags = [name for name, on in marks.items() if on(i)]
        _create(client, h, name=f"P{i:02d} Person{i % 4}", tags=tags)
    for tags, want in (
        ("gold", 9),
        ("gold,east", 3),
        ("EAST,gold,rare", 2),
        ("rare,east", 2),
        ("gold,none", 0),
    ):
        first = client.get(f"/api/contacts?tags={tags}&limit=2", headers=h).json()
        assert first["total"] == want, tags
        by_offset = [c["id"] for c in first["contacts"]]
        while len(by_offset) < want:
            page = client.get(f"/api/contacts?tags={tags}&limit=2&offset={len(by_offset)}", headers=h).json()
            by_offset += [c["id"] for c in page["contacts"]]
        by_cursor, page = [c["id"] for c in first["contacts"]], first
        while page["nextCursor"]:
            page = client.get(
                f"/api/contacts?tags={tags}&limit=2&cursor={page['nextCursor']}", headers=h
            ).json()
            by_cursor += [c["id"] for c in page["contacts"]]
        assert by_cursor == by_offset and len(set(by_offset)) == want, tags
        for c in first["contacts"]:
            assert {t.lower() for t in tags.split(",")} <= set(c["tags"]), (tags, c)
    cursor = client.get("/api/contacts?tags=gold&limit=2", headers=h).json()["nextCursor"]
    r = client.get(f"/api/contacts?tags=gold,east&limit=2&cursor={cursor}", headers=h)
    assert r.status_code == 400 and r.json()["detail"]
