"""Admin and audit through the real server: `/admin/users` (list, create, update, deactivate ends
the user's sessions at once), `/admin/audit` with logins and failed logins, `/admin/health`, the
Services API audit routes, and 403 for everyone who is not the account's Owner or an Admin."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import auth, register


def _login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/auth/login", json={"email": email, "password": password})


def test_admin_users_create_update_and_deactivate(client: httpx.Client) -> None:
    owner_tokens = register(client, "Admin")
    owner = auth(owner_tokens)
    owner_id = owner_tokens["user"]["user_id"]  # type: ignore[index]
    email = f"staff-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "name": "Staff", "password": "Staff1234", "department": "sales", "role": "viewer"}
    r = client.post("/admin/users", json=body, headers=owner)
    assert r.status_code == 201, r.text
    staff = r.json()
    assert staff["role"] == "Viewer" and staff["department"] == "sales" and staff["is_active"]
    assert client.post("/admin/users", json=body, headers=owner).status_code == 409
    weak = body | {"email": f"w-{uuid.uuid4().hex[:6]}@example.com", "password": "weakpass"}
    assert client.post("/admin/users", json=weak, headers=owner).status_code == 400

    users = client.get("/admin/users", params={"department": "sales"}, headers=owner).json()
    assert [u["id"] for u in users["users"]] == [staff["id"]] and users["total"] == 1

    login = _login(client, email, "Staff1234")
    assert login.status_code == 200
    staff_h = auth(login.json())
    for path in (
        "/admin/users",
        "/admin/audit",
        "/admin/health",
        "/internal/emails/history",
        "/api/v1/audit-logs/",
    ):
        assert client.get(path, headers=staff_h).status_code == 403, path
    # A member may read their own activity, not someone else's.
    assert client.get("/api/v1/audit-logs/user-activity/", headers=staff_h).status_code == 200
    r = client.get("/api/v1/audit-logs/user-activity/", params={"user_id": owner_id}, headers=staff_h)
    assert r.status_code == 403

    r = client.put(
        f"/admin/users/{staff['id']}", json={"permissions": ["chat", "crm.read", "crm.write"]}, headers=owner
    )
    assert r.status_code == 200 and r.json()["permissions"] == ["chat", "crm.read", "crm.write"]
    bad = client.put(f"/admin/users/{staff['id']}", json={"permissions": ["fly"]}, headers=owner)
    assert bad.status_code == 400
    assert client.put(f"/admin/users/{owner_id}", json={"role": "viewer"}, headers=owner).status_code == 403
    assert client.put(f"/admin/users/{owner_id}", json={"is_active": False}, headers=owner).status_code == 403

    r = client.put(f"/admin/users/{staff['id']}", json={"is_active": False}, headers=owner)
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert client.get("/auth/status", headers=staff_h).status_code == 401  # the token in hand dies
    assert (
        client.post("/auth/refresh", json={"refresh_token": login.json()["refresh_token"]}).status_code == 401
    )
    assert _login(client, email, "Staff1234").status_code == 401

    entries = client.get("/admin/audit", params={"user_id": owner_id}, headers=owner).json()["entries"]
    deactivate = next(e for e in entries if e["changes"].get("is_active"))
    assert deactivate["action"] == "user.update" and deactivate["resource_id"] == staff["id"]
    assert deactivate["changes"]["is_active"] == {"before": True, "after": False}
    created = client.get("/admin/audit", params={"action": "user.create"}, headers=owner).json()
    assert created["total"] == 1 and "password" not in str(created)


def test_logins_failed_logins_and_the_services_api_shape(client: httpx.Client) -> None:
    user = register(client, "Audited")
    h = auth(user)
    user_id = user["user"]["user_id"]  # type: ignore[index]
    assert _login(client, str(user["email"]), "wrong-password").status_code == 401
    assert _login(client, str(user["email"]), str(user["password"])).status_code == 200
    logs = client.get("/api/v1/audit-logs/", params={"user_id": user_id}, headers=h).json()
    assert logs["success"] is True and logs["count"] == len(logs["data"])
    actions = [d["action"] for d in logs["data"]]
    assert actions[:2] == ["login", "login_failed"]
    failed = logs["data"][1]
    assert failed["success"] is False and failed["resource_type"] == "auth" and failed["ip_address"]
    only = client.get("/api/v1/audit-logs/", params={"action": "login", "limit": 1}, headers=h).json()
    assert only["count"] == 1 and only["data"][0]["action"] == "login"
    mine = client.get("/api/v1/audit-logs/user-activity/", params={"days": 1}, headers=h).json()
    assert mine["user_id"] == user_id and mine["days"] == 1 and mine["count"] >= 2
    assert client.get("/api/v1/audit-logs/resource-history/", headers=h).status_code == 422


def test_admin_health(client: httpx.Client) -> None:
    h = auth(register(client, "Healthy"))
    body = client.get("/admin/health", headers=h).json()
    assert body["status"] == "healthy" and body["database"] == "ok" and body["redis"] == "not_configured"
    assert 0 <= body["disk_usage_pct"] <= 100 and body["workers"] >= 0


def test_helpers_connections_and_api_keys_are_audited(client: httpx.Client) -> None:
    tokens = register(client, "Builder")
    h = auth(tokens)
    user_id = tokens["user"]["user_id"]  # type: ignore[index]
    helper = client.post(
        "/helpers", headers=h, json={"name": "Tagger", "helper_type": "tag_it", "config": {"tag_name": "new"}}
    ).json()
    hid = helper["helper_id"]
    assert client.put(f"/helpers/{hid}", headers=h, json={"name": "Renamed"}).status_code == 200
    contact = client.post("/api/contacts", json={"name": "Tagged Person"}, headers=h).json()["id"]
    run = client.post(f"/helpers/{hid}/execute", headers=h, json={"contact_id": contact})
    assert run.status_code == 202, run.text
    assert client.delete(f"/helpers/{hid}", headers=h).status_code == 200
    conn = client.post(
        "/platforms/demo/connections", json={"name": "Sample CRM", "settings": {"contacts": 10}}, headers=h
    )
    assert conn.status_code == 201, conn.text
    cid = conn.json()["connection_id"]
    assert client.delete(f"/platforms/demo/connections/{cid}", headers=h).status_code == 200
    key = client.post("/api-keys", json={"name": "Desktop"}, headers=h).json()
    assert client.delete(f"/api-keys/{key['key_id']}", headers=h).status_code == 200

    def history(resource_id: str) -> list[tuple[str, str | None]]:
        r = client.get("/api/v1/audit-logs/resource-history/", params={"resource_id": resource_id}, headers=h)
        return [(d["action"], d["user_id"]) for d in r.json()["data"]]

    assert history(hid) == [
        ("helper.create", user_id),
        ("helper.update", user_id),
        ("helper.execute", user_id),
        ("helper.delete", user_id),
    ]
    assert history(cid) == [("connection.create", user_id), ("connection.delete", user_id)]
    assert history(key["key_id"]) == [("api_key.create", user_id), ("api_key.revoke", user_id)]
    log = client.get("/admin/audit", params={"action": "api_key.create"}, headers=h).json()["entries"]
    assert log[0]["changes"]["name"] == {"before": None, "after": "Desktop"}
    assert key.get("key", "fdk_") not in str(log)  # the key itself is never recorded


def test_files_and_scheduled_jobs_are_audited(client: httpx.Client) -> None:
    tokens = register(client, "Archivist")
    h = auth(tokens)
    user_id = tokens["user"]["user_id"]  # type: ignore[index]
    up = client.post("/files/upload", files={"file": ("notes.csv", b"a,b\n1,2\n", "text/csv")}, headers=h)
    assert up.status_code == 200, up.text
    file_id = up.json()["artifact_id"]
    assert client.delete(f"/files/{file_id}", headers=h).status_code == 200
    body = {
        "name": "Weekly report",
        "schedule": {"type": "cron", "cron": "0 9 * * 1"},
        "task_type": "agent_task",
        "task_params": {"message": "How many leads do I have?"},
    }
    job = client.post("/scheduler/jobs", headers=h, json=body)
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    assert (
        client.put(f"/scheduler/jobs/{job_id}", headers=h, json={"name": "Monday report"}).status_code == 200
    )
    assert client.delete(f"/scheduler/jobs/{job_id}", headers=h).status_code == 204

    def history(resource_id: str) -> list[dict[str, object]]:
        r = client.get("/api/v1/audit-logs/resource-history/", params={"resource_id": resource_id}, headers=h)
        return list(r.json()["data"])

    files = history(file_id)
    assert [(d["action"], d["user_id"], d["resource_type"]) for d in files] == [
        ("file.create", user_id, "file"),
        ("file.delete", user_id, "file"),
    ]
    assert files[0]["changes"]["filename"] == {"before": None, "after": "notes.csv"}  # type: ignore[index]
    jobs = history(job_id)
    assert [(d["action"], d["user_id"]) for d in jobs] == [
        ("scheduled_job.create", user_id),
        ("scheduled_job.update", user_id),
        ("scheduled_job.delete", user_id),
    ]
    assert jobs[1]["changes"] == {"name": {"before": "Weekly report", "after": "Monday report"}}
