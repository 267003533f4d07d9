"""`/data/*` over HTTP against the real server: sync, catalog, query, export, CSV import, isolation."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from tests.conftest import auth, demo_login, register
from tests.storage.test_lake_csv import GOOGLE, META_EU


@pytest.fixture(scope="module")
def native(base_url: str) -> dict[str, object]:
    """The demo account's headers and native connection id, after one sync of that connection."""
    with httpx.Client(base_url=base_url, timeout=60) as c:
        headers = demo_login(c)
        first = c.post("/data/sync", headers=headers, json={}).json()  # every connection
        conn = next(s["connection_id"] for s in first["synced"] if s["platform"] == "native")
        return {"headers": headers, "conn": conn, "first": first}


def test_sync_then_catalog(client: httpx.Client, native: dict[str, object]) -> None:
    first = native["first"]
    assert isinstance(first, dict) and all(s["reason"] for s in first["skipped"])
    assert {"native", "demo", "google_ads", "meta_ads", "ga4"} <= {s["platform"] for s in first["synced"]}
    r = client.post("/data/sync", headers=native["headers"], json={"connection_id": native["conn"]})
    assert r.status_code == 200 and [s["object_type"] for s in r.json()["synced"]] == [
        "contacts",
        "tags",
        "leads",
    ]
    cat = client.get("/data/catalog", params={"connection_id": native["conn"]}, headers=native["headers"])
    assert cat.status_code == 200
    objects = {o["object_type"]: o for o in cat.json()["objects"]}
    assert set(objects) == {"contacts", "tags", "leads"}
    assert objects["leads"]["fields"][:3] == ["id", "contact_id", "name"]
    assert objects["leads"]["field_types"]["value"] == "number" and objects["tags"]["record_count"] == 8
    assert client.get("/data/catalog", headers=native["headers"]).status_code == 422  # connection_id required


def test_query_seed_shape(client: httpx.Client, native: dict[str, object]) -> None:
    body = {
        "connection_id": native["conn"],
        "filters": {
            "object_type": "contacts",
            "tags": ["VIP"],
            "date_field": "created_at",
            "date_from": "2000-01-01",
        },
        "limit": 5,
        "offset": 0,
    }
    r = client.post("/data/query", headers=native["headers"], json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert {"results", "total", "query_time_ms", "has_more"} <= set(out)
    assert len(out["results"]) == 5 and out["total"] > 5 and out["has_more"] is True
    assert all("VIP" in row["tags"] and row["created_at"].endswith("Z") for row in out["results"])
    page2 = client.post("/data/query", headers=native["headers"], json=body | {"offset": 5}).json()
    assert not {x["id"] for x in page2["results"]} & {x["id"] for x in out["results"]}


def test_query_nl(client: httpx.Client, native: dict[str, object]) -> None:
    r = client.post(
        "/data/query",
        headers=native["headers"],
        json={"connection_id": native["conn"], "nl_query": "leads worth more than $20k created this year"},
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["filters"]["object_type"] == "leads" and out["filters"]["ranges"] == {"value": {"gt": 20000.0}}
    assert out["filters"]["date_from"].endswith("-01-01") and out["understood"]
    assert all(row["value"] > 20000 for row in out["results"])


@pytest.mark.parametrize(
    ("filters", "status", "named"),
    [
        ({"object_type": "invoices"}, 400, "invoices"),
        ({"object_type": "contacts", "equals": {"favourite_colour": "red"}}, 400, "favourite_colour"),
        ({"object_type": "leads", "ranges": {"valu": {"gt": 1}}}, 400, "valu"),
        ({"object_type": "../../account-x/conn-y/contacts"}, 400, "account-x"),
        ({"object_type": "contacts", "date_from": "2026-02-01", "date_to": "2026-01-01"}, 400, "date_from"),
    ],
)
def test_query_refuses_unknown_names(
    client: httpx.Client, native: dict[str, object], filters: dict[str, object], status: int, named: str
) -> None:
    r = client.post(
        "/data/query", headers=native["headers"], json={"connection_id": native["conn"], "filters": filters}
    )
    assert r.status_code == status and named in r.json()["detail"]


def test_query_limits(client: httpx.Client, native: dict[str, object]) -> None:
    r = client.post(
        "/data/query", headers=native["headers"], json={"connection_id": native["conn"], "limit": 1001}
    )
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    assert client.post("/data/query", json={"connection_id": native["conn"]}).status_code == 401


def test_export_csv_and_json(client: httpx.Client, native: dict[str, object]) -> None:
    body = {
        "connection_id": native["conn"],
        "query": {"filters": {"object_type": "leads"}, "sort": ["id"]},
        "format": "csv",
    }
    r = client.post("/data/export", headers=native["headers"], json=body)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"] == 'attachment; filename="leads-export.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    total = client.post(
        "/data/query",
        headers=native["headers"],
        json={"connection_id": native["conn"], "filters": {"object_type": "leads"}},
    ).json()["total"]
    assert len(rows) == total and [x["id"] for x in rows] == sorted(x["id"] for x in rows)
    j = client.post("/data/export", headers=native["headers"], json=body | {"format": "json"})
    assert j.headers["content-type"] == "application/json" and len(j.json()) == total
    contacts = client.post(
        "/data/export",
        headers=native["headers"],
        json={"connection_id": native["conn"], "query": {"limit": 7}, "format": "csv"},
    )
    exported = list(csv.DictReader(io.StringIO(contacts.text)))
    assert len(exported) == 7 and "_tags" not in exported[0] and "tags" in exported[0]
    multi = [row["tags"] for row in exported if row["tags"].count(";") >= 1]
    assert multi and all(all(part for part in t.split(";")) for t in multi)  # lists export as a;b
    too_many = client.post(
        "/data/export", headers=native["headers"], json=body | {"query": {"limit": 10_001}}
    )
    assert too_many.status_code == 422
    bad = client.post(
        "/data/export", headers=native["headers"], json=body | {"query": {"filters": {"equals": {"nope": 1}}}}
    )
    assert bad.status_code == 400 and "nope" in bad.json()["detail"]


def test_import_meta_and_google_csv(client: httpx.Client) -> None:
    headers = auth(register(client, "Importer"))
    files = {
        "meta_csv": ("meta.csv", META_EU.encode("utf-16"), "text/csv"),
        "google_csv": ("google.csv", GOOGLE.encode("cp1252", errors="replace"), "application/vnd.ms-excel"),
    }
    r = client.post("/data/import", headers=headers, files=files)
    assert r.status_code == 201, r.text
    summary = r.json()["summary"]
    assert summary["data_sources"] == {"meta_ads_records": 2, "google_ads_records": 2}
    assert summary["total_spend"] == round(78.9 + 100 + 1234.56 + 99.10, 2)
    conn = r.json()["imports"][0]["connection_id"]
    again = client.post(
        "/data/import", headers=headers, files={"file": ("g.csv", GOOGLE.encode(), "text/csv")}
    )
    assert again.status_code == 201 and again.json()["imports"][0]["rows_in_lake"] == 4  # same rows replaced
    q = client.post(
        "/data/query",
        headers=headers,
        json={
            "connection_id": conn,
            "filters": {"object_type": "ad_daily_metrics", "equals": {"platform": "meta_ads"}},
        },
    ).json()
    assert q["total"] == 2 and q["results"][0]["currency"] == "EUR"
    cat = client.get("/data/catalog", params={"connection_id": conn}, headers=headers).json()
    assert {o["object_type"] for o in cat["objects"]} == {"ad_daily_metrics", "campaigns"}


def test_import_refuses_bad_uploads(client: httpx.Client) -> None:
    headers = auth(register(client, "BadUpload"))
    png = {"file": ("logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png")}
    r = client.post("/data/import", headers=headers, files=png)
    assert r.status_code == 415 and "image/png" in r.json()["detail"]
    binary = {"file": ("x.csv", b"\x00\x01\x02\xff" * 100, "text/csv")}
    assert client.post("/data/import", headers=headers, files=binary).status_code == 415
    big = {
        "file": (
            "big.csv",
            b"Day,Campaign,Impr.,Clicks,Cost\n" + b"2026-01-01,A,1,1,1\n" * 600_000,
            "text/csv",
        )
    }
    r = client.post("/data/import", headers=headers, files=big)
    assert r.status_code == 413 and "MiB" in r.json()["detail"]
    nothing = client.post("/data/import", headers=headers, data={"platform": "google_ads"})
    assert nothing.status_code == 400
    wrong = client.post(
        "/data/import", headers=headers, files={"file": ("a.csv", b"name,email\nA,a@x\n", "text/csv")}
    )
    assert wrong.status_code == 400 and "header" in wrong.json()["detail"]


def test_another_account_is_refused(client: httpx.Client, native: dict[str, object]) -> None:
    other = auth(register(client, "Nosy"))
    conn = native["conn"]
    assert client.get("/data/catalog", params={"connection_id": conn}, headers=other).status_code == 404
    assert client.post("/data/query", headers=other, json={"connection_id": conn}).status_code == 404
    export = client.post("/data/export", headers=other, json={"connection_id": conn, "format": "json"})
    assert export.status_code == 404
    assert client.post("/data/sync", headers=other, json={"connection_id": conn}).status_code == 404
    for trick in ("../" + str(conn), "conn:../../x", "account:x/../../conn"):
        r = client.get("/data/catalog", params={"connection_id": trick}, headers=other)
        assert r.status_code == 404, trick
    mine = client.post("/data/sync", headers=other, json={}).json()
    own = mine["synced"][0]["connection_id"]
    r = client.post("/data/query", headers=other, json={"connection_id": own})
    assert r.status_code == 200 and r.json()["total"] == 0
    assert json.dumps(r.json()).count("contact:") == 0
