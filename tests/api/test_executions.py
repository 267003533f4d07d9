"""`/executions` through the real server: newest-first cursor pagination with `next_token`, and the
helper, status and date-range filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.api.test_helpers import owner, wait_for


def make_helper(client: httpx.Client, headers: dict[str, str], title: str) -> str:
    body = {"name": title, "helper_type": "notify", "config": {"title": title}}
    r = client.post("/helpers", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["helper_id"])


def run(client: httpx.Client, headers: dict[str, str], helper_id: str, times: int) -> list[str]:
    ids = []
    for _ in range(times):
        r = client.post(f"/helpers/{helper_id}/execute", headers=headers, json={})
        assert r.status_code == 202, r.text
        ids.append(r.json()["execution_id"])
    for eid in ids:
        assert wait_for(client, headers, eid)["status"] == "completed"
    return ids


def test_next_token_walks_every_execution_once_newest_first(client: httpx.Client) -> None:
    headers, _ = owner(client)
    ids = run(client, headers, make_helper(client, headers, "pager"), 7)
    seen: list[dict[str, object]] = []
    token = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 3} | ({"next_token": token} if token else {})
        r = client.get("/executions", headers=headers, params=params)
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        assert page["total_count"] == 7 and len(page["executions"]) <= 3
        assert page["has_more"] is (page["next_token"] is not None)
        seen += page["executions"]
        token = page["next_token"]
        if token is None:
            break
    assert pages == 3
    assert [e["execution_id"] for e in seen] == list(reversed(ids))  # newest first, none twice
    stamps = [(e["created_at"], e["execution_id"]) for e in seen]
    assert stamps == sorted(stamps, reverse=True)
    first = seen[0]
    assert first["status"] == "completed" and first["trigger_type"] == "manual"
    assert "input" not in first and "output" not in first  # the list is the summary; detail has both


def test_filters_by_helper_status_and_dates(client: httpx.Client) -> None:
    headers, _ = owner(client)
    first, second = make_helper(client, headers, "one"), make_helper(client, headers, "two")
    run(client, headers, first, 2)
    (only,) = run(client, headers, second, 1)
    by_helper = client.get("/executions", headers=headers, params={"helper_id": second}).json()
    assert by_helper["total_count"] == 1 and by_helper["executions"][0]["execution_id"] == only
    assert client.get("/executions?status=completed", headers=headers).json()["total_count"] == 3
    assert client.get("/executions?status=queued", headers=headers).json()["total_count"] == 0
    now = datetime.now(UTC)
    window = {
        "created_from": (now - timedelta(hours=1)).isoformat(),
        "created_to": (now + timedelta(hours=1)).isoformat(),
    }
    assert client.get("/executions", headers=headers, params=window).json()["total_count"] == 3
    future = {"created_from": (now + timedelta(hours=1)).isoformat()}
    assert client.get("/executions", headers=headers, params=future).json()["total_count"] == 0
    past = {"created_to": "2020-01-01"}
    assert client.get("/executions", headers=headers, params=past).json()["executions"] == []


def test_bad_listing_parameters(client: httpx.Client) -> None:
    headers, _ = owner(client)
    for query, status, detail in [
        ("limit=101", 422, "limit"),
        ("limit=0", 422, "limit"),
        ("status=pending-ish", 422, "status"),
        ("next_token=not-a-token", 400, "next_token"),
        ("created_from=yesterday", 422, "created_from"),
        ("created_from=2026-02-01&created_to=2026-01-01", 400, "created_from is after created_to"),
    ]:
        r = client.get(f"/executions?{query}", headers=headers)
        assert r.status_code == status, (query, r.text)
        assert detail in r.json()["detail"], (query, r.json())
    assert client.get("/executions/exec:nope", headers=headers).status_code == 404
    assert client.get("/executions").status_code == 401
