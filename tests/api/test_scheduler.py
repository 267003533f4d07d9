"""`/scheduler/jobs` through the real server: the cron rules (15-minute minimum, malformed, zone),
the 10-active-jobs cap, owner-only access, run now (it runs, `last_run` set, the owner notified with
the result), and a restart on the same store that loses nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.config import Settings
from frontdesk.storage import jobs as job_rows
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.job_models import Job, ScheduledJob
from tests.agent.wire import running
from tests.api.jobs_support import job_settings, wait_until
from tests.channels.fakes_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio
from tests.conftest import auth, register, serve


@pytest.fixture(scope="module")
def settings_(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return job_settings(tmp_path_factory.mktemp("scheduler"))


@pytest.fixture(scope="module")
def api(settings_: Settings) -> Iterator[httpx.Client]:
    with serve(settings_) as url, httpx.Client(base_url=url, timeout=30) as c:
        yield c


def job_body(name: str = "Weekly report", cron: str = "0 9 * * 1", **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "schedule": {"type": "cron", "cron": cron},
        "task_type": "agent_task",
        "task_params": {"message": "How many leads do I have?"},
    } | extra


def test_cron_rules_are_400_naming_the_rule(api: httpx.Client) -> None:
    headers = auth(register(api))
    r = api.post("/scheduler/jobs", headers=headers, json=job_body(cron="*/5 * * * *"))
    assert r.status_code == 400 and "15 minutes" in r.json()["detail"], r.text
    r = api.post("/scheduler/jobs", headers=headers, json=job_body(cron="0,10 9 * * *"))
    assert r.status_code == 400 and "15 minutes" in r.json()["detail"]
    r = api.post("/scheduler/jobs", headers=headers, json=job_body(cron="61 * * * *"))
    assert r.status_code == 400 and "cron" in r.json()["detail"]
    r = api.post("/scheduler/jobs", headers=headers, json=job_body(cron="every day"))
    assert r.status_code == 400
    tz = job_body() | {"schedule": {"type": "cron", "cron": "0 9 * * 1", "timezone": "Mars/Olympus"}}
    assert api.post("/scheduler/jobs", headers=headers, json=tz).status_code == 400
    bad_params = job_body(task_params={"nope": 1})
    assert api.post("/scheduler/jobs", headers=headers, json=bad_params).status_code == 400
    assert api.get("/scheduler/jobs", headers=headers).json() == {"jobs": [], "count": 0}


def test_next_run_follows_the_jobs_time_zone(api: httpx.Client) -> None:
    headers = auth(register(api))
    body = job_body() | {"schedule": {"type": "cron", "cron": "0 9 * * *", "timezone": "Asia/Tokyo"}}
    job = api.post("/scheduler/jobs", headers=headers, json=body).json()
    assert job["timezone"] == "Asia/Tokyo" and job["next_run"].endswith("T00:00:00Z")  # 09:00 JST


def test_a_job_without_a_zone_takes_the_accounts_time_zone(api: httpx.Client) -> None:
    tokens = register(api)
    headers = auth(tokens)
    account_id = tokens["account"]["account_id"]  # type: ignore[index]
    before = api.post("/scheduler/jobs", headers=headers, json=job_body(cron="0 9 * * *")).json()
    assert before["timezone"] == "UTC" and before["next_run"].endswith("T09:00:00Z")
    r = api.put(f"/accounts/{account_id}", json={"timezone": "Mars/Olympus"}, headers=headers)
    assert r.status_code == 400 and "time zone" in r.json()["detail"]
    r = api.put(f"/accounts/{account_id}", json={"timezone": "Asia/Tokyo"}, headers=headers)
    assert r.status_code == 200 and r.json()["timezone"] == "Asia/Tokyo", r.text
    assert api.get(f"/accounts/{account_id}", headers=headers).json()["settings"]["timezone"] == "Asia/Tokyo"
    job = api.post("/scheduler/jobs", headers=headers, json=job_body(cron="0 9 * * *")).json()
    assert job["timezone"] == "Asia/Tokyo" and job["next_run"].endswith("T00:00:00Z")  # 09:00 JST
    explicit = job_body() | {"schedule": {"type": "cron", "cron": "0 9 * * *", "timezone": "UTC"}}
    assert api.post("/scheduler/jobs", headers=headers, json=explicit).json()["timezone"] == "UTC"


def test_ten_active_jobs_then_429_and_others_see_404(api: httpx.Client) -> None:
    headers = auth(register(api))
    ids = []
    for i in range(10):
        r = api.post("/scheduler/jobs", headers=headers, json=job_body(f"job {i}", cron=f"{i} 9 * * 1"))
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = api.post("/scheduler/jobs", headers=headers, json=job_body("eleventh"))
    assert r.status_code == 429 and "10" in r.json()["detail"]
    paused = api.post("/scheduler/jobs", headers=headers, json=job_body("paused", is_active=False))
    assert paused.status_code == 201 and paused.json()["next_run"] is None  # inactive jobs do not count
    assert (
        api.put(
            f"/scheduler/jobs/{paused.json()['id']}", headers=headers, json={"is_active": True}
        ).status_code
        == 429
    )
    listed = api.get("/scheduler/jobs", headers=headers).json()
    assert listed["count"] == 11 and {j["id"] for j in listed["jobs"]} >= set(ids)
    other = auth(register(api, "Other"))
    for method in ("GET", "PUT", "DELETE"):
        r = api.request(
            method,
            f"/scheduler/jobs/{ids[0]}",
            headers=other,
            json={"name": "x"} if method == "PUT" else None,
        )
        assert r.status_code == 404, (method, r.text)
    assert api.post(f"/scheduler/jobs/{ids[0]}/run", headers=other).status_code == 404
    renamed = api.put(f"/scheduler/jobs/{ids[0]}", headers=headers, json={"name": "renamed"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "renamed"
    assert api.delete(f"/scheduler/jobs/{ids[1]}", headers=headers).status_code == 204
    assert api.post("/scheduler/jobs", headers=headers, json=job_body("fits again")).status_code == 201


def test_run_now_runs_sets_last_run_and_notifies_with_the_result(api: httpx.Client) -> None:
    headers = auth(register(api))
    job = api.post("/scheduler/jobs", headers=headers, json=job_body("Lead count")).json()
    assert job["last_run"] is None and job["next_run"] is not None
    r = api.post(f"/scheduler/jobs/{job['id']}/run", headers=headers)
    assert r.status_code == 200, r.text
    queued = r.json()
    assert (
        queued["job_id"] == job["id"]
        and queued["status"] == "queued"
        and queued["task_id"].startswith("job:")
    )

    def finished() -> dict[str, object] | None:
        j = api.get(f"/scheduler/jobs/{job['id']}", headers=headers).json()
        return j if j["last_status"] in ("completed", "failed") else None

    done = wait_until(finished, timeout=60)
    assert done["last_status"] == "completed", done["last_error"]
    assert done["last_run"] is not None and done["last_task_id"] == queued["task_id"]
    assert done["next_run"] == job["next_run"]  # running now does not move the schedule
    notes = api.get("/api/notifications", headers=headers, params={"type": "system"}).json()["notifications"]
    (note,) = [n for n in notes if n["data"].get("taskId") == queued["task_id"]]
    assert "Lead count" in note["title"] and "completed" in note["title"] and note["status"] == "unread"
    result = note["data"]["result"]
    assert note["message"] == result["summary"] and result["conversation_id"].startswith("conv:")
    conv = api.get(f"/chat/conversations/{result['conversation_id']}", headers=headers)
    assert conv.status_code == 200, conv.text  # the turn is stored in the owner's conversation
    listed = api.get("/chat/conversations", headers=headers, params={"channel": "scheduler"}).json()
    assert [c["conversation_id"] for c in listed["conversations"]] == [result["conversation_id"]]


def test_a_restart_in_between_loses_nothing(tmp_path: Path) -> None:
    """Jobs and their schedule survive a stop; a run queued while no server ran (the CLI, or one a
    crash left queued) runs after the start; a run left `running` past its budget is failed."""
    settings = job_settings(tmp_path, scheduler_tick_seconds=0)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as c:
        user = register(c)
        headers = auth(user)
        job = c.post("/scheduler/jobs", headers=headers, json=job_body("Survivor")).json()

    async def leave_work() -> tuple[str, str]:
        db = Database(settings.resolved_database_url)

        async def write(s: AsyncSession) -> tuple[str, str]:
            sched = await s.get(ScheduledJob, job["id"])
            assert sched is not None
            owner = {"account_id": sched.account_id, "user_id": sched.user_id, "queue": settings.job_queue}
            run = {"kind": "scheduled_run", "payload": {"schedule_id": job["id"]}}
            queued = job_rows.add_job(s, **run, **owner)
            stale = job_rows.add_job(s, **run, **owner, budget_seconds=5)
            stale.status, stale.started_at = "running", utcnow() - timedelta(hours=1)
            return queued.id, stale.id

        try:
            return await db.run_write(write)
        finally:
            await db.close()

    queued_id, stale_id = asyncio.run(leave_work())
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as c:
        (kept,) = c.get("/scheduler/jobs", headers=headers).json()["jobs"]
        assert kept["id"] == job["id"] and kept["next_run"] == job["next_run"]

        def ran() -> dict[str, object] | None:
            j = c.get(f"/scheduler/jobs/{job['id']}", headers=headers).json()
            return j if j["last_status"] == "completed" else None

        assert wait_until(ran, timeout=60)["last_task_id"] == queued_id
        notes = c.get("/api/notifications", headers=headers).json()["notifications"]
        assert any(n["data"].get("taskId") == queued_id for n in notes)

    async def statuses() -> dict[str, str]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                rows = [await s.get(Job, i) for i in (queued_id, stale_id)]
                return {r.id: r.status for r in rows if r is not None}
        finally:
            await db.close()

    assert asyncio.run(statuses()) == {queued_id: "completed", stale_id: "failed"}


def test_an_agent_task_reply_is_texted_to_the_owner_through_the_sms_door(tmp_path: Path) -> None:
    twilio = FakeTwilio()
    with running(twilio.app()) as twilio_url:
        twilio.url = twilio_url
        sms = {"twilio_auth_token": AUTH_TOKEN, "twilio_account_sid": ACCOUNT_SID}
        settings = job_settings(tmp_path, twilio_from_number=FROM_NUMBER, twilio_api_base=twilio_url, **sms)
        with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as api:
            headers = auth(register(api))
            fax = job_body("By fax", task_params={"message": "Leads?", "deliver_to": "fax"})
            assert api.post("/scheduler/jobs", headers=headers, json=fax).status_code == 400
            phone = "+15005550123"
            assert api.put("/auth/profile", json={"phone_number": phone}, headers=headers).status_code == 200
            body = job_body(
                "By text", task_params={"message": "How many leads do I have?", "deliver_to": "sms"}
            )
            job = api.post("/scheduler/jobs", headers=headers, json=body).json()
            api.post(f"/scheduler/jobs/{job['id']}/run", headers=headers)
            (sent,) = twilio.wait_for(phone, 1, timeout=60)

            def finished() -> dict[str, object] | None:
                j = api.get(f"/scheduler/jobs/{job['id']}", headers=headers).json()
                return j if j["last_status"] in ("completed", "failed") else None

            assert wait_until(finished, timeout=60)["last_status"] == "completed"
            notes = api.get("/api/notifications", headers=headers, params={"type": "system"}).json()
            (note,) = notes["notifications"]
    assert sent.from_ == FROM_NUMBER and sent.body
    assert note["data"]["result"]["delivery"] == {"door": "sms", "sent": 1}
