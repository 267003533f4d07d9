"""Keyset cursors on the four lists over real HTTP (a real uvicorn server): walking a list by
`cursor` yields exactly the offset list, in order, with ties in every sort key; a bad, edited or
mismatched cursor is a 400 with `detail`; another account's cursor shows nothing of that account."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from tests.conftest import auth, register

MOMENT = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def in_server_db(settings: Settings, sql: str, params: dict[str, Any]) -> None:
    """Run one statement in the server's own database (to make ties the API cannot make)."""

    async def run() -> None:
        db = Database(settings.resolved_database_url)
        async with db.engine.begin() as conn:
            await conn.execute(text(sql), params)
        await db.close()

    asyncio.run(run())


def walk(
    client: httpx.Client, h: dict[str, str], path: str, items: str, cursor_key: str, **params: Any
) -> list[Any]:
    """Every item of a list, page by page through its cursor (at most 100 pages)."""
    seen: list[Any] = []
    cursor = None
    for _ in range(100):
        r = client.get(path, params=params | ({"cursor": cursor} if cursor else {}), headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += body[items]
        cursor = body[cursor_key]
        more = body["pagination"]["hasMore"] if "pagination" in body else body["has_more"]
        assert more == (cursor is not None)
        if cursor is None:
            return seen
    raise AssertionError("the cursor never ended")


def all_at_once(client: httpx.Client, h: dict[str, str], path: str, items: str, **params: Any) -> list[Any]:
    r = client.get(path, params=params | {"limit": 100, "offset": 0}, headers=h)
    assert r.status_code == 200, r.text
    return list(r.json()[items])


@pytest.fixture
def crm_account(client: httpx.Client, server_settings: Settings) -> dict[str, str]:
    """An account with 11 contacts full of ties (same names, companies, one created_at) and 9
    leads (shared values and created_at)."""
    tokens = register(client, "Cursor")
    h = auth(tokens)
    people = [("Sam Lee", "Acme"), ("Sam Lee", "Acme"), ("Sam Lee", None), ("Ann Lee", "Acme"),
              ("Bob Ng", "Zeta"), ("bob ng", "zeta"), ("Cy Ng", "Zeta"), ("Dee Park", None),
              ("Sam Lee", "Acme"), ("Eve Oh", "Acme"), ("Al Lee", "acme")]  # fmt: skip
    for i, (name, company) in enumerate(people):
        body = {
            "name": name,
            "company": company,
            "email": f"p{i}@x.example",
            "tags": ["vip"] if i % 2 else [],
        }
        assert client.post("/api/contacts", json=body, headers=h).status_code == 201
    for i in range(9):
        body = {
            "name": f"Deal {i % 3}",
            "value": [100.0, 250.0, 100.0][i % 3],
            "status": ["new", "contacted"][i % 2],
        }
        assert client.post("/api/leads", json=body, headers=h).status_code == 201
    me = client.get("/auth/me", headers=h).json()
    account = me["account_context"]["account_id"]
    for table in ("contacts", "leads"):
        in_server_db(
            server_settings,
            f"UPDATE {table} SET created_at = :t WHERE account_id = :a",
            {"t": MOMENT, "a": account},
        )
    return h


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "name"},
        {"sort": "name", "order": "desc"},
        {"sort": "company"},
        {"sort": "company", "order": "desc"},
        {"sort": "createdAt"},
        {"sort": "createdAt", "order": "desc"},
        {"tags": "vip", "sort": "name"},
        {"search": "lee", "sort": "company", "order": "desc"},
    ],
)
def test_contacts_by_cursor_equal_the_offset_list(
    client: httpx.Client, crm_account: dict[str, str], params: dict[str, str]
) -> None:
    whole = all_at_once(client, crm_account, "/api/contacts", "contacts", **params)
    assert len(whole) >= 5
    for limit in (1, 2, 4):
        paged = walk(client, crm_account, "/api/contacts", "contacts", "nextCursor", limit=limit, **params)
        assert [c["id"] for c in paged] == [c["id"] for c in whole]


def test_leads_by_cursor_equal_the_offset_list(client: httpx.Client, crm_account: dict[str, str]) -> None:
    for params in ({}, {"status": "new"}, {"search": "deal 1"}):
        whole = all_at_once(client, crm_account, "/api/leads", "leads", **params)
        assert whole
        for limit in (1, 2):
            paged = walk(client, crm_account, "/api/leads", "leads", "nextCursor", limit=limit, **params)
            assert [x["id"] for x in paged] == [x["id"] for x in whole]
    r = client.get("/api/leads", params={"limit": 2}, headers=crm_account).json()
    assert r["total"] == 9 and r["totalValue"] == 1350.0 and r["pagination"]["hasMore"]


def test_conversations_and_sessions_by_cursor(client: httpx.Client, server_settings: Settings) -> None:
    tokens = register(client, "Talker")
    h = auth(tokens)
    made = [client.post("/chat/conversations", json={"title": f"c{i}"}, headers=h).json() for i in range(7)]
    in_server_db(  # four conversations active at the same instant: ties broken by id
        server_settings,
        "UPDATE conversations SET updated_at = :t WHERE id IN (:a, :b, :c, :d)",
        {"t": MOMENT, "a": made[0]["conversation_id"], "b": made[2]["conversation_id"],
         "c": made[3]["conversation_id"], "d": made[5]["conversation_id"]},
    )  # fmt: skip
    whole = all_at_once(client, h, "/chat/conversations", "conversations")
    assert sorted(c["conversation_id"] for c in whole) == sorted(c["conversation_id"] for c in made)
    for limit in (1, 2, 3):
        paged = walk(client, h, "/chat/conversations", "conversations", "next_cursor", limit=limit)
        assert [c["conversation_id"] for c in paged] == [c["conversation_id"] for c in whole]
        sessions = walk(client, h, "/chat/sessions", "sessions", "next_cursor", limit=limit)
        assert [s["id"] for s in sessions] == [c["conversation_id"] for c in whole]
    web = walk(client, h, "/chat/conversations", "conversations", "next_cursor", limit=2, channel="web")
    assert [c["conversation_id"] for c in web] == [
        c["conversation_id"] for c in whole if c["channel"] == "web"
    ]


def _edit(cursor: str, change: Any) -> str:
    doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    change(doc)
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).rstrip(b"=").decode()


def test_bad_cursors_are_400_with_detail(client: httpx.Client, crm_account: dict[str, str]) -> None:
    first = client.get("/api/contacts", params={"limit": 2}, headers=crm_account).json()
    good = first["nextCursor"]
    bad = [
        ("/api/contacts", {"cursor": "not a cursor!"}),
        ("/api/contacts", {"cursor": "e30"}),  # "{}"
        ("/api/contacts", {"cursor": _edit(good, lambda d: d["k"].pop())}),  # a key short
        ("/api/contacts", {"cursor": _edit(good, lambda d: d["k"].__setitem__(0, 5))}),  # wrong type
        ("/api/contacts", {"cursor": _edit(good, lambda d: d.__setitem__("s", "0" * 16))}),
        ("/api/contacts", {"cursor": good, "sort": "createdAt"}),  # another sort's list
        ("/api/contacts", {"cursor": good, "tags": "vip"}),  # another filter's list
        ("/api/contacts", {"cursor": good, "offset": 3}),  # both
        ("/api/leads", {"cursor": good}),  # another list
        ("/chat/conversations", {"cursor": good}),
        ("/chat/sessions", {"cursor": "%%%"}),
    ]
    for path, params in bad:
        r = client.get(path, params=params, headers=crm_account)
        assert r.status_code == 400, (path, params, r.text)
        assert r.json()["detail"], r.text
    assert client.get("/api/contacts", params={"cursor": good}, headers=crm_account).status_code == 200


def test_another_accounts_cursor_shows_nothing_of_it(
    client: httpx.Client, crm_account: dict[str, str]
) -> None:
    mine = {c["id"] for c in all_at_once(client, crm_account, "/api/contacts", "contacts")}
    mine_leads = {x["id"] for x in all_at_once(client, crm_account, "/api/leads", "leads")}
    cursor = client.get("/api/contacts", params={"limit": 1}, headers=crm_account).json()["nextCursor"]
    lead_cursor = client.get("/api/leads", params={"limit": 1}, headers=crm_account).json()["nextCursor"]
    other = auth(register(client, "Outsider"))
    client.post("/api/contacts", json={"name": "Sam Lee", "company": "Acme"}, headers=other)
    for path, c in (("/api/contacts", cursor), ("/api/leads", lead_cursor)):
        r = client.get(path, params={"cursor": c}, headers=other)
        assert r.status_code == 400 and "another list" in r.json()["detail"]
        assert not ({x["id"] for x in r.json().get("contacts", [])} & mine)
    theirs = walk(client, other, "/api/contacts", "contacts", "nextCursor", limit=1)
    assert len(theirs) == 1 and not ({c["id"] for c in theirs} & mine)
    assert not ({x["id"] for x in walk(client, other, "/api/leads", "leads", "nextCursor")} & mine_leads)
