"""Real servers for the scale-out suite: a `redis-server` on a free loopback port, a fresh
PostgreSQL database, and `frontdesk serve` replicas (plus a `frontdesk worker`) as subprocesses
started at the same moment on that empty database.

Missing pieces skip the suite, saying which; with `FRONTDESK_SCALE_REQUIRED=1` (`.ci/scale/run.sh`)
they fail it instead.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

REDIS = shutil.which("redis-server")
PG_ADMIN_URL = os.environ.get(
    "FRONTDESK_SCALE_PG_URL", "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
)
SECRET = "scale-suite-secret-key-with-enough-length-0123456789"
START_SECONDS = 300.0  # three processes importing at once on a busy 2-core machine


def unavailable(why: str) -> None:
    if os.environ.get("FRONTDESK_SCALE_REQUIRED") == "1":
        pytest.fail(f"the scale suite is required but cannot run: {why}")
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    if REDIS is None:
        unavailable("redis-server is not installed (Debian: apt-get install redis-server)")
    try:
        import redis  # noqa: F401
        import taskiq_redis  # noqa: F401
    except ImportError:
        unavailable("the scale extra is not installed: pip install -e '.[scale]'")
    port = free_port()
    args = [str(REDIS), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen(args, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty database; yields its SQLAlchemy URL and drops it afterwards."""
    try:
        import asyncpg
    except ImportError:
        unavailable("asyncpg is not installed: pip install -e '.[scale]'")
    name = f"frontdesk_scale_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError, asyncpg.PostgresError) as e:  # no server, refused login: say which
        unavailable(f"PostgreSQL is not reachable at {PG_ADMIN_URL.rsplit('@', 1)[-1]}: {e!r}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Process:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    replicas: list[Process]
    worker: Process
    database_url: str
    redis_url: str
    env: dict[str, str] = field(default_factory=dict)

    @property
    def a(self) -> str:
        return self.replicas[0].url

    @property
    def b(self) -> str:
        return self.replicas[1].url


def cluster_env(database_url: str, redis_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {
        "FRONTDESK_DATABASE_URL": database_url,
        "FRONTDESK_REDIS_URL": redis_url,
        "FRONTDESK_DATA_DIR": str(data_dir),  # shared: the Parquet lake every replica reads
        "FRONTDESK_SECRET_KEY": SECRET,  # one key: a token from one replica works on the other
        "FRONTDESK_DEMO_CONTACTS": "40",
        "FRONTDESK_AUTH_RATE_LIMIT_PER_MINUTE": "0",
        "FRONTDESK_JOB_POLL_SECONDS": "0.2",
        "FRONTDESK_SCHEDULER_TICK_SECONDS": "0.3",
        "FRONTDESK_OUTBOUND_ALLOWED_HOSTS": '["127.0.0.1"]',
        "FRONTDESK_SHUTDOWN_GRACE_SECONDS": "2",
    }
    return env | extra


def _start(name: str, args: list[str], env: dict[str, str], logs: Path) -> Process:
    log = logs / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "frontdesk.cli", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Process(name, proc, log)


def wait_healthy(process: Process, timeout: float = START_SECONDS) -> dict[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.proc.poll() is not None:
            raise AssertionError(f"{process.name} exited ({process.proc.returncode}):\n{process.output()}")
        try:
            r = httpx.get(f"{process.url}/health", timeout=2)
            if r.status_code == 200:
                return dict(r.json())
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{process.name} not healthy in {timeout:g}s:\n{process.output()}")


def stop(process: Process) -> None:
    if process.proc.poll() is None:
        process.proc.terminate()
        try:
            process.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.proc.kill()
            process.proc.wait()


@contextmanager
def cluster(workdir: Path, redis_url: str | None = None, **extra_env: str) -> Iterator[Cluster]:
    """Two replicas (job workers off) and one `frontdesk worker`, started together (on a Redis of
    their own unless `redis_url` names one the test controls)."""
    with (
        redis_server(workdir) if redis_url is None else nullcontext(redis_url) as url,
        postgres_database() as database_url,
    ):
        data_dir = workdir / "data"
        env = cluster_env(database_url, url, data_dir, **extra_env)
        replicas = []
        for i in range(2):
            port = free_port()
            replica_env = env | {"FRONTDESK_JOB_WORKERS": "0", "FRONTDESK_PORT": str(port)}
            replicas.append(_start(f"replica-{'ab'[i]}", ["serve"], replica_env, workdir))
            replicas[-1].url = f"http://127.0.0.1:{port}"
        worker = _start("worker", ["worker"], env, workdir)  # runs the jobs, helper executions included
        try:
            for replica in replicas:
                wait_healthy(replica)
            yield Cluster(replicas, worker, database_url, url, env)
        finally:
            for process in [*replicas, worker]:
                stop(process)
