"""Platforms and connections over real HTTP: create/list/get/update/test/delete, credentials
encrypted at rest, a HubSpot connection tested against recorded responses, isolation, permissions."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import respx
from sqlalchemy import text

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from tests.api.test_contacts import make_viewer
from tests.conftest import auth, demo_login, register

HUBSPOT = json.loads((Path(__file__).parents[1] / "tools" / "recordings" / "hubspot.json").read_text())


def recorded(name: str) -> httpx.Response:
    r = HUBSPOT[name]
    return httpx.Response(r["status"], headers=r["headers"], json=r["body"])


def raw_credentials(settings: Settings, connection_id: str) -> str | None:
    async def run() -> str | None:
        db = Database(settings.resolved_database_url)
        async with db.session() as s:
            value = await s.scalar(
                text("SELECT credentials_encrypted FROM connections WHERE id = :id"), {"id": connection_id}
            )
        await db.close()
        return value

    return asyncio.run(run())


def test_platforms_and_the_native_connection(client: httpx.Client) -> None:
    h = auth(register(client, "Platforms"))
    platforms = {p["platform_id"]: p for p in client.get("/platforms", headers=h).json()["platforms"]}
    assert {"native", "demo", "hubspot"} <= set(platforms)
    assert platforms["hubspot"]["auth_type"] == "api_key" and platforms["native"]["creatable"] is False
    mine = client.get("/platform-connections", headers=h).json()
    assert mine["total"] == 1 and mine["connections"][0]["platform_id"] == "native"
    assert mine["connections"][0]["object_types"] == ["contacts", "leads", "tags"]
    demo = client.get("/platforms/demo/connections", headers=demo_login(client)).json()
    assert demo["platform_id"] == "demo" and demo["total"] == 1


def test_demo_connection_lifecycle(client: httpx.Client) -> None:
    h = auth(register(client, "Lifecycle"))
    r = client.post(
        "/platforms/demo/connections", json={"name": "Sample CRM", "settings": {"contacts": 10}}, headers=h
    )
    assert r.status_code == 201, r.text
    conn = r.json()
    cid = conn["connection_id"]
    assert (conn["platform_id"], conn["status"], conn["auth_type"]) == ("demo", "active", "none")
    assert client.get(f"/platforms/demo/connections/{cid}", headers=h).json()["name"] == "Sample CRM"
    tested = client.post(f"/platforms/demo/connections/{cid}/test", headers=h).json()
    assert tested["status"] == "success" and tested["result"]["status"] == "valid"
    assert tested["result"]["contacts"] == 10 and tested["tested_at"].endswith("Z")
    r = client.put(f"/platforms/demo/connections/{cid}", json={"name": "Renamed"}, headers=h)
    assert r.status_code == 200 and r.json()["name"] == "Renamed" and r.json()["settings"]["contacts"] == 10
    assert client.get("/platform-connections", headers=h).json()["total"] == 2
    r = client.delete(f"/platforms/demo/connections/{cid}", headers=h)
    assert r.status_code == 200 and r.json()["connection_id"] == cid and r.json()["deleted_at"]
    assert client.get(f"/platforms/demo/connections/{cid}", headers=h).status_code == 404


def test_hubspot_credentials_encrypted_and_tested(client: httpx.Client, server_settings: Settings) -> None:
    h = auth(register(client, "HubSpotter"))
    token = "pat-na1-api-test-secret-0123456789"
    r = client.post(
        "/platforms/hubspot/connections",
        json={"name": "Our HubSpot", "auth_type": "api_key", "credentials": {"access_token": token}},
        headers=h,
    )
    assert r.status_code == 201, r.text
    conn = r.json()
    cid = conn["connection_id"]
    assert conn["has_credentials"] is True and token not in r.text
    raw = raw_credentials(server_settings, cid)
    assert raw and token not in raw and "access_token" not in raw
    listed = client.get("/platform-connections", headers=h).text
    assert token not in listed and raw not in listed

    with respx.mock(assert_all_called=False) as mock:
        mock.route(host="127.0.0.1").pass_through()  # our own server
        details = mock.get("https://api.hubapi.com/account-info/v3/details").mock(
            side_effect=[recorded("unauthorized"), recorded("account_details")]
        )
        failed = client.post(f"/platforms/hubspot/connections/{cid}/test", headers=h)
        assert failed.status_code == 200 and failed.json()["status"] == "failed"
        assert "rejected the connection's credentials (401)" in failed.json()["result"]["detail"]
        assert client.get(f"/platforms/hubspot/connections/{cid}", headers=h).json()["status"] == "error"
        ok = client.post(f"/platforms/hubspot/connections/{cid}/test", headers=h).json()
        assert ok["status"] == "success" and ok["result"]["portal_id"] == 2519445
        assert details.calls.last.request.headers["Authorization"] == f"Bearer {token}"
    assert client.get(f"/platforms/hubspot/connections/{cid}", headers=h).json()["status"] == "active"

    new_token = "pat-na1-rotated-secret-9876543210"
    r = client.put(
        f"/platforms/hubspot/connections/{cid}", json={"credentials": {"api_key": new_token}}, headers=h
    )
    assert r.status_code == 200 and new_token not in r.text
    rotated = raw_credentials(server_settings, cid)
    assert rotated and rotated != raw and new_token not in rotated


def test_bad_requests_are_4xx_with_detail(client: httpx.Client) -> None:
    h = auth(register(client, "BadConn"))
    native = client.get("/platform-connections", headers=h).json()["connections"][0]["connection_id"]
    for method, url, body, code in (
        ("post", "/platforms/salesforce/connections", {"name": "SF"}, 404),
        ("post", "/platforms/hubspot/connections", {"name": "No token"}, 400),
        (
            "post",
            "/platforms/hubspot/connections",
            {"name": "H", "auth_type": "oauth2", "credentials": {"access_token": "t"}},
            400,
        ),
        ("post", "/platforms/native/connections", {"name": "Second native"}, 400),
        ("post", "/platforms/demo/connections", {"name": ""}, 422),
        ("post", "/platforms/demo/connections", {"name": "D", "settings": {"base_url": "http://x"}}, 400),
        ("delete", f"/platforms/native/connections/{native}", None, 400),
        ("get", f"/platforms/demo/connections/{native}", None, 404),  # right id, wrong platform
    ):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == code, (method, url, body, r.status_code, r.text)
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_another_accounts_connections_are_404(client: httpx.Client) -> None:
    demo_h = demo_login(client)
    theirs = client.get("/platforms/demo/connections", headers=demo_h).json()["connections"][0]
    cid = theirs["connection_id"]
    h = auth(register(client, "Snoop"))
    for method, url, body in (
        ("get", f"/platforms/demo/connections/{cid}", None),
        ("put", f"/platforms/demo/connections/{cid}", {"name": "mine"}),
        ("post", f"/platforms/demo/connections/{cid}/test", None),
        ("delete", f"/platforms/demo/connections/{cid}", None),
    ):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == 404, (method, url)
    assert cid not in client.get("/platform-connections", headers=h).text
    assert client.get(f"/platforms/demo/connections/{cid}", headers=demo_h).json()["name"] == theirs["name"]


def test_viewer_cannot_manage_connections(client: httpx.Client, server_settings: Settings) -> None:
    tokens = register(client, "ConnViewer")
    h = auth(tokens)
    demo = client.post("/platforms/demo/connections", json={"name": "Demo"}, headers=h).json()
    make_viewer(server_settings, tokens["user"]["user_id"])
    assert client.get("/platform-connections", headers=h).json()["total"] == 2
    for method, url, body in (
        ("post", "/platforms/demo/connections", {"name": "Another"}),
        ("put", f"/platforms/demo/connections/{demo['connection_id']}", {"name": "x"}),
        ("post", f"/platforms/demo/connections/{demo['connection_id']}/test", None),
        ("delete", f"/platforms/demo/connections/{demo['connection_id']}", None),
    ):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == 403 and "can_manage_connections" in r.json()["detail"], (method, url)
