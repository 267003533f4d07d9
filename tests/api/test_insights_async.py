"""MIA async insights through the real server: a task is queued, runs on the job queue and its
result carries the same analysis `POST /api/v1/insights/quick` gives, read through the lens;
another user's task is 404; a queued task is cancelled (a server that runs no jobs holds it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.jobs_support import job_settings, wait_until
from tests.conftest import auth, demo_login, register, serve


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        serve(job_settings(tmp_path_factory.mktemp("insights"))) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        yield c


def finished(api: httpx.Client, headers: dict[str, str], task_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        r = api.get(f"/api/insights/task/{task_id}", headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        return body if body["status"] in ("completed", "failed", "cancelled") else None

    return wait_until(done, timeout=60)


@pytest.mark.parametrize("lens", ["grow", "optimize", "protect"])
def test_a_task_gives_the_synchronous_analysis(api: httpx.Client, lens: str) -> None:
    headers = demo_login(api)
    r = api.post(f"/api/insights/{lens}/async", headers=headers, json={"date_range": "30_days"})
    assert r.status_code == 200, r.text
    queued = r.json()
    assert (
        queued["success"] is True and queued["status"] == "pending" and queued["task_id"].startswith("job:")
    )
    task = finished(api, headers, queued["task_id"])
    assert task["status"] == "completed" and task["progress"] == 100 and task["completed_at"]
    result = task["result"]
    sync = api.post("/api/v1/insights/quick", headers=headers, json={"date_range": "30_days"}).json()
    drop = {"response_time_ms"}
    assert {k: v for k, v in result["analysis"].items() if k not in drop} == {
        k: v for k, v in sync.items() if k not in drop
    }
    assert result["insight_type"] == lens and result["platforms_analyzed"] == sync["platforms_analyzed"]
    expected = {
        "grow": lambda f: f["sentiment"] == "positive",
        "protect": lambda f: f["sentiment"] == "negative",
        "optimize": lambda f: f["key"] in {"ctr", "cpc", "cpa", "roas", "engagement_rate"},
    }[lens]
    assert result["facts"] == [f for f in sync["facts"] if expected(f)]
    assert all(f["metric"] in result["insights"] for f in result["facts"])
    other = auth(register(api))
    assert api.get(f"/api/insights/task/{queued['task_id']}", headers=other).status_code == 404
    assert api.delete(f"/api/insights/task/{queued['task_id']}", headers=other).status_code == 404
    again = api.delete(f"/api/insights/task/{queued['task_id']}", headers=headers)
    assert again.status_code == 200 and again.json()["status"] == "completed"  # ended: unchanged


def test_unknown_lens_and_platform_names(api: httpx.Client) -> None:
    headers = demo_login(api)
    assert api.post("/api/insights/scale/async", headers=headers, json={}).status_code == 422
    r = api.post("/api/insights/grow/async", headers=headers, json={"platforms": ["meta"]})
    task = finished(api, headers, r.json()["task_id"])
    assert task["result"]["platforms_analyzed"] == ["meta_ads"]


def test_a_queued_task_is_cancelled(tmp_path: Path) -> None:
    with serve(job_settings(tmp_path, job_workers=0)) as url, httpx.Client(base_url=url, timeout=30) as c:
        headers = auth(register(c))
        task_id = c.post("/api/insights/protect/async", headers=headers, json={}).json()["task_id"]
        assert c.get(f"/api/insights/task/{task_id}", headers=headers).json()["status"] == "pending"
        r = c.delete(f"/api/insights/task/{task_id}", headers=headers)
        assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["result"] is None
