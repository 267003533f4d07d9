"""Two `frontdesk serve` replicas and one `frontdesk worker` on one PostgreSQL database and one
Redis, started at the same moment on an empty database, act as one server: both come up (migrations
and demo seeding under advisory locks), a user's chat rate limit holds across them, a lead created
through A reaches a `/ws` socket on B, a turn's stream resumes on B while the turn runs on A, a
scheduled job runs exactly once, and each helper execution is claimed once.

Needs `redis-server`, a PostgreSQL server (FRONTDESK_SCALE_PG_URL, default postgres/postgres on
127.0.0.1:5432) and the `scale` extra; skips, saying which is missing, without them."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.api.jobs_support import wait_until
from tests.conftest import auth, register
from tests.scale.cluster import Cluster, cluster
from tests.scale.held import held_turn, sse_events

CHAT_LIMIT = 4


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("scale")
    with cluster(workdir, FRONTDESK_CHAT_RATE_LIMIT_PER_MINUTE=str(CHAT_LIMIT)) as c:
        yield c


@pytest.fixture(scope="module")
def a(servers: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers.a, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def b(servers: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers.b, timeout=30) as c:
        yield c


def sql(servers: Cluster, query: str, *args: Any) -> list[Any]:
    import asyncpg

    async def run() -> list[Any]:
        conn = await asyncpg.connect(servers.database_url.replace("+asyncpg", ""))
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def test_replicas_started_together_on_an_empty_database_both_come_up(
    servers: Cluster, a: httpx.Client, b: httpx.Client
) -> None:
    for client in (a, b):
        health = client.get("/health").json()
        assert health["database"] == "connected" and health["redis"] == "connected", health
        login = client.post(
            "/auth/login", json={"email": "demo@frontdesk.local", "password": "frontdesk-demo"}
        )
        assert login.status_code == 200, login.text
    [[demo_users]] = sql(servers, "SELECT count(*) FROM users WHERE email = 'demo@frontdesk.local'")
    assert demo_users == 1  # seeded once, under the lock
    [[versions]] = sql(servers, "SELECT count(*) FROM alembic_version")
    assert versions >= 1
    wait_until(lambda: "frontdesk worker: queue" in servers.worker.output(), timeout=60)
    for replica in servers.replicas:
        assert "Traceback" not in replica.output(), replica.output()


def test_one_users_chat_rate_limit_holds_across_replicas(a: httpx.Client, b: httpx.Client) -> None:
    headers = auth(register(a))
    for i in range(CHAT_LIMIT):
        client = a if i % 2 == 0 else b
        r = client.post("/chat/send", headers=headers, json={"message": "hello"})
        assert r.status_code == 200, r.text
    for client in (a, b):
        refused = client.post("/chat/send", headers=headers, json={"message": "hello"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1, refused.text
    other = auth(register(b, "Other"))
    assert a.post("/chat/send", headers=other, json={"message": "hello"}).status_code == 200


def test_a_lead_created_through_a_reaches_a_socket_on_b(servers: Cluster, a: httpx.Client) -> None:
    tokens = register(a)
    ws_url = servers.b.replace("http://", "ws://") + f"/ws?token={tokens['access_token']}"
    with connect(ws_url) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connected"
        lead = a.post("/api/leads", headers=auth(tokens), json={"name": "Cross Replica"}).json()
        while True:
            event = json.loads(ws.recv(timeout=10))
            if event["type"] == "lead.created":
                break
        assert event["data"]["id"] == lead["id"] and event["data"]["name"] == "Cross Replica"


async def test_a_turn_stream_resumes_on_b_while_the_turn_runs_on_a(servers: Cluster) -> None:
    """The turn's tool waits on a table lock held by the test, so it is still running on A when the
    stream is resumed on B (served from the Redis stream); the lock is then released."""
    async with httpx.AsyncClient(timeout=30) as http:
        body = {"email": "streamer@example.com", "password": "correct-horse-1", "name": "Streamer"}
        tokens = (await http.post(f"{servers.a}/auth/register", json=body)).json()
        headers = auth(tokens)
        conv = (await http.post(f"{servers.a}/chat/conversations", headers=headers)).json()
        async with held_turn(http, servers, headers, conv["conversation_id"]) as held:
            turn_id, seen = held.turn_id, held.seen
            running = (await http.get(f"{servers.b}/chat/turns/{turn_id}", headers=headers)).json()
            assert running["status"] == "running", running
            last_id = seen[-1][0]
            resumed: list[tuple[str, dict[str, Any]]] = []

            async def follow_on_b() -> None:
                stream_url = f"{servers.b}/chat/turns/{turn_id}/stream"
                async with http.stream("GET", stream_url, headers=headers | {"Last-Event-ID": last_id}) as s:
                    assert s.status_code == 200
                    got: list[str] = []
                    async for line in s.aiter_lines():
                        got.append(line)
                        resumed[:] = sse_events(got)

            follower = asyncio.create_task(follow_on_b())
            await asyncio.sleep(1.0)
            assert not follower.done()  # B is waiting for the turn running on A
            await held.release()
            await asyncio.wait_for(follower, 30)
    numbers = [int(event_id.rsplit("-", 1)[1]) for event_id, _ in resumed]
    first = int(last_id.rsplit("-", 1)[1]) + 1
    assert numbers == list(range(first, first + len(numbers))), numbers
    assert resumed[-1][1]["type"] == "done" and any(e["type"] == "tool_result" for _, e in resumed)


def notify_helper(client: httpx.Client, headers: dict[str, str], title: str) -> str:
    """A helper whose every run records one notification titled `title` (with `{input.i}`)."""
    r = client.post(
        "/helpers",
        headers=headers,
        json={"name": "Ping", "helper_type": "notify", "config": {"title": title}},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["helper_id"])


def titles(servers: Cluster, marker: str) -> list[str]:
    rows = sql(servers, "SELECT title FROM helper_notifications WHERE title LIKE $1", f"%{marker}%")
    return sorted(row[0] for row in rows)


def test_a_scheduled_job_runs_exactly_once(servers: Cluster, a: httpx.Client) -> None:
    headers = auth(register(a))
    marker = f"scheduled-{uuid.uuid4().hex[:8]}"
    helper_id = notify_helper(a, headers, marker)
    body = {
        "name": "Ping weekly",
        "schedule": {"type": "cron", "cron": "0 9 * * 1"},
        "task_type": "helper_run",
        "task_params": {"helper_id": helper_id},
    }
    r = a.post("/scheduler/jobs", headers=headers, json=body)
    assert r.status_code == 201, r.text
    schedule_id = r.json()["id"]
    sql(  # due now: three schedulers (A, B, the worker) tick every 0.3 s
        servers,
        "UPDATE scheduled_jobs SET next_run = (now() at time zone 'utc') - interval '1 second' WHERE id = $1",
        schedule_id,
    )
    wait_until(lambda: titles(servers, marker), timeout=30)
    time.sleep(3.0)  # ten more ticks each
    assert titles(servers, marker) == [marker]
    query = "SELECT count(*) FROM jobs WHERE kind = 'scheduled_run' AND payload::text LIKE $1"
    [[runs]] = sql(servers, query, f"%{schedule_id}%")
    assert runs == 1
    assert a.get(f"/scheduler/jobs/{schedule_id}", headers=headers).json()["last_run"] is not None


def test_each_helper_execution_is_claimed_once(servers: Cluster, a: httpx.Client, b: httpx.Client) -> None:
    headers = auth(register(a))
    marker, count = f"run-{uuid.uuid4().hex[:8]}", 12
    helper_id = notify_helper(a, headers, marker + " {input.i}")

    def execute(i: int) -> str:
        client = a if i % 2 == 0 else b
        r = client.post(f"/helpers/{helper_id}/execute", headers=headers, json={"input": {"i": i}})
        assert r.status_code == 202, r.text
        return str(r.json()["execution_id"])

    with ThreadPoolExecutor(4) as pool:
        ids = set(pool.map(execute, range(count)))
    assert len(ids) == count
    wait_until(lambda: len(titles(servers, marker)) >= count, timeout=60)
    time.sleep(1.0)
    assert titles(servers, marker) == sorted(f"{marker} {i}" for i in range(count))  # each run once
    listed = a.get("/executions", headers=headers, params={"helper_id": helper_id, "limit": 50}).json()
    assert listed["total_count"] == count and {e["status"] for e in listed["executions"]} == {"completed"}
