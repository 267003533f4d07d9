"""`frontdesk worker` (a real subprocess) runs what a server with no job workers queued: found in
the database by polling, or, with `FRONTDESK_REDIS_URL`, taken from Redis where the server kicked
it. The Redis case needs `redis-server` on this machine and the `redis` extra; it skips, saying
so, without them."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from frontdesk.config import Settings
from tests.api.jobs_support import job_settings, wait_until
from tests.conftest import auth, register, serve

REDIS = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if REDIS is None:
        pytest.skip("redis-server is not installed")
    pytest.importorskip("taskiq_redis", reason="needs pip install '.[redis]'")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [str(REDIS), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: listening(port), 10)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def worker_env(settings: Settings) -> dict[str, str]:
    env = os.environ | {
        "FRONTDESK_DATA_DIR": str(settings.data_dir),
        "FRONTDESK_SECRET_KEY": settings.secret_key or "",
        "FRONTDESK_JOB_QUEUE": settings.job_queue,
        "FRONTDESK_JOB_POLL_SECONDS": "0.2",
        "FRONTDESK_DATABASE_URL": settings.resolved_database_url,
        "FRONTDESK_SCHEDULER_TICK_SECONDS": "0",
        "FRONTDESK_DEMO_CONTACTS": str(settings.demo_contacts),
    }
    if settings.redis_url:
        env["FRONTDESK_REDIS_URL"] = settings.redis_url
    return env


def run_with_worker(settings: Settings, before_worker: Callable[[str], None] = lambda _: None) -> None:
    """Queue an agent_task run on a server that runs no jobs, then start `frontdesk worker`: the
    run completes, its owner is notified."""
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as api:
        headers = auth(register(api))
        body = {
            "name": "Elsewhere",
            "schedule": {"cron": "0 5 * * *"},
            "task_type": "agent_task",
            "task_params": {"message": "How many leads do I have?"},
        }
        job = api.post("/scheduler/jobs", headers=headers, json=body).json()
        task_id = api.post(f"/scheduler/jobs/{job['id']}/run", headers=headers).json()["task_id"]
        time.sleep(1.0)
        first = api.get(f"/scheduler/jobs/{job['id']}", headers=headers).json()
        assert first["last_status"] is None  # the server runs no jobs itself
        before_worker(task_id)
        worker = subprocess.Popen(
            [sys.executable, "-m", "frontdesk.cli", "worker"],
            env=worker_env(settings),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:

            def done() -> dict[str, Any] | None:
                j = api.get(f"/scheduler/jobs/{job['id']}", headers=headers).json()
                return j if j["last_status"] in ("completed", "failed") else None

            finished = wait_until(done, timeout=90)
        finally:
            worker.terminate()
            _, err = worker.communicate(timeout=30)
        assert finished["last_status"] == "completed", (finished["last_error"], err[-2000:])
        assert finished["last_task_id"] == task_id
        assert worker.returncode == 0, err[-2000:]
        assert f"queue {settings.job_queue!r}" in err
        notes = api.get("/api/notifications", headers=headers).json()["notifications"]
        assert any(n["data"].get("taskId") == task_id for n in notes)


def test_a_worker_finds_queued_jobs_in_the_database(tmp_path: Path) -> None:
    run_with_worker(job_settings(tmp_path, job_workers=0, scheduler_tick_seconds=0))


def test_a_worker_takes_jobs_from_redis(tmp_path: Path, redis_url: str) -> None:
    settings = job_settings(tmp_path, redis_url=redis_url, job_workers=0, scheduler_tick_seconds=0)

    def waiting_in_redis(_task_id: str) -> None:
        import redis

        assert redis.Redis.from_url(redis_url).llen(f"frontdesk:jobs:{settings.job_queue}") >= 1

    run_with_worker(settings, waiting_in_redis)
