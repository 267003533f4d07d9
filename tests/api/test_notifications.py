"""`/api/notifications` through the real server: a lead moved to `qualified` notifies the account's
owner (CRM MVP shape), read / unread filters and mark-read, another user's is 404, `notify` helper
records appear in the same list, and a failed scheduled run notifies only while the owner's
`execution_failures` preference (`/accounts/preferences`) is on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.jobs_support import job_settings, wait_until
from tests.api.test_webhooks_in import send
from tests.conftest import auth, register, serve


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        serve(job_settings(tmp_path_factory.mktemp("notifications"))) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        yield c


def notes(api: httpx.Client, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    r = api.get("/api/notifications", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()["notifications"]


def test_a_qualified_lead_notifies_the_owner(api: httpx.Client) -> None:
    headers = auth(register(api))
    lead = api.post("/api/leads", headers=headers, json={"name": "John Smith"}).json()
    api.put(f"/api/leads/{lead['id']}", headers=headers, json={"status": "qualified"})
    (note,) = wait_until(lambda: notes(api, headers, type="lead"))
    assert note["title"] == "New qualified lead" and note["status"] == "unread"
    assert note["message"] == "John Smith has been qualified and is ready for follow-up"
    assert note["data"] == {"leadId": lead["id"], "leadName": "John Smith"}
    api.put(f"/api/leads/{lead['id']}", headers=headers, json={"notes": "still qualified"})  # no second one
    other = auth(register(api, "Other"))
    assert api.put(f"/api/notifications/{note['id']}/read", headers=other).status_code == 404
    assert notes(api, other) == []
    read = api.put(f"/api/notifications/{note['id']}/read", headers=headers)
    assert read.status_code == 200 and read.json()["status"] == "read"
    assert [n["id"] for n in notes(api, headers, status="read")] == [note["id"]]
    assert notes(api, headers, status="unread", type="lead") == []
    assert api.get("/api/notifications", headers=headers, params={"status": "new"}).status_code == 422


def test_notify_helper_records_show_up(api: httpx.Client) -> None:
    headers = auth(register(api))
    body = {"name": "ping", "helper_type": "notify", "config": {"title": "Helper says hi"}}
    helper = api.post("/helpers", headers=headers, json=body).json()
    assert api.post(f"/helpers/{helper['helper_id']}/execute", headers=headers, json={}).status_code == 202
    (note,) = wait_until(lambda: [n for n in notes(api, headers) if n["title"] == "Helper says hi"])
    assert note["type"] == "system" and note["data"]["helperId"] == helper["helper_id"]
    assert api.put(f"/api/notifications/{note['id']}/read", headers=headers).json()["status"] == "read"


def failing_job(api: httpx.Client, headers: dict[str, str]) -> str:
    body = {
        "name": "Broken helper run",
        "schedule": {"cron": "0 4 * * *"},
        "task_type": "helper_run",
        "task_params": {"helper_id": "helper:missing"},
    }
    r = api.post("/scheduler/jobs", headers=headers, json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def run_to_end(api: httpx.Client, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    task_id = api.post(f"/scheduler/jobs/{job_id}/run", headers=headers).json()["task_id"]

    def ended() -> dict[str, Any] | None:
        j = api.get(f"/scheduler/jobs/{job_id}", headers=headers).json()
        return j if j["last_task_id"] == task_id and j["last_status"] in ("completed", "failed") else None

    return wait_until(ended)


def test_failed_runs_honour_the_execution_failures_preference(api: httpx.Client) -> None:
    headers = auth(register(api))
    job_id = failing_job(api, headers)
    off = api.put("/accounts/preferences", headers=headers, json={"execution_failures": False})
    assert off.status_code == 200 and off.json()["execution_failures"] is False
    done = run_to_end(api, headers, job_id)
    assert done["last_status"] == "failed" and "not found" in done["last_error"].lower()
    assert notes(api, headers, type="system") == []
    api.put("/accounts/preferences", headers=headers, json={"execution_failures": True})
    run_to_end(api, headers, job_id)
    (note,) = wait_until(lambda: notes(api, headers, type="system"))
    assert note["title"] == "Scheduled job 'Broken helper run' failed" and note["data"]["status"] == "failed"


def test_every_kind_honours_its_preference(api: httpx.Client) -> None:
    headers = auth(register(api))
    off = {"ai_insights": False, "connection_issues": False}
    assert api.put("/accounts/preferences", headers=headers, json=off).status_code == 200
    # a completed scheduled run: ai_insights
    body = {"name": "Count", "schedule": {"cron": "0 4 * * *"}, "task_type": "agent_task"}
    job = api.post("/scheduler/jobs", headers=headers, json=body | {"task_params": {"message": "Leads?"}})
    assert run_to_end(api, headers, job.json()["id"])["last_status"] == "completed"
    # a qualified lead: ai_insights (the notifier handles events in order, so the second one proves it)
    quiet = api.post("/api/leads", headers=headers, json={"name": "Quiet Lead"}).json()
    api.put(f"/api/leads/{quiet['id']}", headers=headers, json={"status": "qualified"})
    # an inbound platform event: connection_issues
    secret = api.post("/webhooks/secrets/mezzofy", headers=headers).json()
    made = api.post(
        "/api/contacts", headers=headers, json={"name": "Ada Lovelace", "email": "ada@example.com"}
    )
    assert made.status_code == 201, made.text
    ticket = {"event": "support_ticket_created", "event_id": "t-pref", "data": {"email": "ada@example.com"}}
    assert send(api, secret["account_id"], secret["secret"], ticket).status_code == 200

    def tagged() -> bool:
        found = api.get("/api/contacts", headers=headers, params={"search": "ada@example.com"}).json()
        return any("support-ticket" in c["tags"] for c in found["contacts"])

    wait_until(tagged)
    api.put("/accounts/preferences", headers=headers, json={"ai_insights": True})
    loud = api.post("/api/leads", headers=headers, json={"name": "Loud Lead"}).json()
    api.put(f"/api/leads/{loud['id']}", headers=headers, json={"status": "qualified"})
    (note,) = wait_until(lambda: notes(api, headers, type="lead"))
    assert note["data"]["leadName"] == "Loud Lead"
    assert notes(api, headers, type="system") == []  # neither the run's result nor the ticket
