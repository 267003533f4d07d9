"""`/api/leads` over real HTTP: CRUD, status/source filters, pagination, isolation, permissions."""

from __future__ import annotations

import httpx

from frontdesk.config import Settings
from tests.api.test_contacts import make_viewer
from tests.conftest import auth, demo_login, register


def _create(client: httpx.Client, headers: dict[str, str], **body: object) -> dict:
    r = client.post("/api/leads", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_lead_crud_in_crm_mvp_shape(client: httpx.Client) -> None:
    h = auth(register(client, "Seller"))
    contact = client.post("/api/contacts", json={"name": "Jane Doe"}, headers=h).json()
    lead = _create(
        client,
        h,
        name="Jane Doe",
        email="jane@example.com",
        phone="+1987654321",
        company="Tech Startup",
        source="referral",
        value=10000,
        notes="High priority prospect",
        contactId=contact["id"],
    )
    assert set(lead) == {
        "id",
        "name",
        "email",
        "phone",
        "company",
        "status",
        "source",
        "value",
        "notes",
        "contactId",
        "createdAt",
        "updatedAt",
    }
    assert (lead["status"], lead["source"], lead["value"], lead["contactId"]) == (
        "new",
        "referral",
        10000.0,
        contact["id"],
    )
    assert client.get(f"/api/leads/{lead['id']}", headers=h).json() == lead

    r = client.put(
        f"/api/leads/{lead['id']}",
        json={"status": "qualified", "notes": "Scheduled demo next week"},
        headers=h,
    )
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["notes"], r.json()["value"]) == (
        "qualified",
        "Scheduled demo next week",
        10000.0,
    )
    linked = client.get(f"/api/contacts/{contact['id']}", headers=h).json()["leads"]
    assert [x["id"] for x in linked] == [lead["id"]] and linked[0]["status"] == "qualified"

    r = client.delete(f"/api/leads/{lead['id']}", headers=h)
    assert r.status_code == 204 and r.content == b""
    assert client.get(f"/api/leads/{lead['id']}", headers=h).status_code == 404
    assert client.delete(f"/api/leads/{lead['id']}", headers=h).status_code == 404


def test_filters_and_pagination(client: httpx.Client) -> None:
    h = auth(register(client, "Pipeline"))
    for i, (status, source) in enumerate(
        [("new", "website"), ("new", "referral"), ("contacted", "website"), ("qualified", "social")] * 3
    ):
        lead = _create(client, h, name=f"Lead {i}", source=source, value=100 * (i + 1))
        if status != "new":
            client.put(f"/api/leads/{lead['id']}", json={"status": status}, headers=h).raise_for_status()

    everything = client.get("/api/leads?limit=5", headers=h).json()
    assert everything["total"] == 12 and everything["pagination"] == {
        "limit": 5,
        "offset": 0,
        "hasMore": True,
    }
    assert everything["leads"][0]["name"] == "Lead 11"  # newest first
    tail = client.get("/api/leads?limit=5&offset=10", headers=h).json()
    assert len(tail["leads"]) == 2 and tail["pagination"]["hasMore"] is False
    assert tail["leads"][-1]["name"] == "Lead 0"

    new = client.get("/api/leads?status=new", headers=h).json()
    assert new["total"] == 6 and all(x["status"] == "new" for x in new["leads"])
    new_web = client.get("/api/leads?status=new&source=website", headers=h).json()
    assert new_web["total"] == 3 and {x["source"] for x in new_web["leads"]} == {"website"}
    social = client.get("/api/leads?source=SOCIAL", headers=h).json()
    assert social["total"] == 3 and all(x["status"] == "qualified" for x in social["leads"])
    assert social["totalValue"] == sum(x["value"] for x in social["leads"])


def test_demo_leads_cover_every_status(client: httpx.Client) -> None:
    h = demo_login(client)
    counts = {
        s: client.get(f"/api/leads?status={s}&limit=1", headers=h).json()["total"]
        for s in ("new", "contacted", "qualified", "converted")
    }
    assert all(n > 0 for n in counts.values())
    assert sum(counts.values()) == client.get("/api/leads?limit=1", headers=h).json()["total"]


def test_bad_input_is_4xx_with_detail(client: httpx.Client) -> None:
    h = auth(register(client, "BadLead"))
    lead = _create(client, h, name="Valid Lead")
    for method, url, body in (
        ("get", "/api/leads?status=lost", None),
        ("get", "/api/leads?limit=500", None),
        ("get", "/api/leads?offset=-1", None),
        ("post", "/api/leads", {"email": "no-name@x.example"}),
        ("post", "/api/leads", {"name": "X", "value": -5}),
        ("post", "/api/leads", {"name": "X", "status": "won"}),
        ("post", "/api/leads", {"name": "X", "contactId": "contact:missing"}),
        ("put", f"/api/leads/{lead['id']}", {}),
        ("put", f"/api/leads/{lead['id']}", {"status": "archived"}),
    ):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code in (400, 422), (method, url, body, r.status_code)
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_another_accounts_leads_are_404(client: httpx.Client) -> None:
    owner = auth(register(client, "LeadOwner"))
    other = auth(register(client, "LeadOther"))
    lead = _create(client, owner, name="Secret Deal", value=99999)
    for method, url, body in (
        ("get", f"/api/leads/{lead['id']}", None),
        ("put", f"/api/leads/{lead['id']}", {"status": "converted"}),
        ("delete", f"/api/leads/{lead['id']}", None),
    ):
        r = client.request(method, url, json=body, headers=other)
        assert r.status_code == 404 and "not found" in r.json()["detail"], (method, url)
    assert client.get("/api/leads", headers=other).json()["total"] == 0
    assert client.get(f"/api/leads/{lead['id']}", headers=owner).json()["status"] == "new"


def test_viewer_cannot_write_leads(client: httpx.Client, server_settings: Settings) -> None:
    tokens = register(client, "LeadViewer")
    h = auth(tokens)
    lead = _create(client, h, name="Existing")
    make_viewer(server_settings, tokens["user"]["user_id"])
    assert client.get("/api/leads", headers=h).json()["total"] == 1
    for method, url, body in (
        ("post", "/api/leads", {"name": "Nope"}),
        ("put", f"/api/leads/{lead['id']}", {"status": "qualified"}),
        ("delete", f"/api/leads/{lead['id']}", None),
    ):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == 403 and "crm.write" in r.json()["detail"], (method, url)
    assert client.get(f"/api/leads/{lead['id']}", headers=h).json()["status"] == "new"
