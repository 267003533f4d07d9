"""Two `frontdesk serve` replicas (and a worker) on one PostgreSQL database and one Redis that the
test can stop and restart: a turn running on A is cancelled through B; failed logins, inbound
webhooks and a phone's texts spread over both replicas hit their limits at the configured counts;
a lead created through A while Redis is stopped reaches a `/ws` socket on B once Redis is back.

Needs `redis-server`, a PostgreSQL server (FRONTDESK_SCALE_PG_URL) and the `scale` extra; skips,
saying which is missing, without them."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.channels.fakes_twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, PUBLIC_URL
from tests.channels.test_sms import messages_of, new_phone, text
from tests.conftest import auth, register
from tests.scale.cluster import Cluster, cluster
from tests.scale.held import held_turn
from tests.scale.redis_proc import RedisServer

LOGIN_FAILURES = 4
WEBHOOKS_PER_MINUTE = 3
TEXTS_PER_HOUR = 3


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, redis: RedisServer) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("scale-cross")
    with cluster(
        workdir,
        redis_url=redis.url,
        FRONTDESK_LOGIN_FAILURES_PER_EMAIL=str(LOGIN_FAILURES),
        FRONTDESK_INBOUND_WEBHOOK_RATE_PER_MINUTE=str(WEBHOOKS_PER_MINUTE),
        FRONTDESK_SMS_HOURLY_LIMIT=str(TEXTS_PER_HOUR),
        FRONTDESK_PUBLIC_URL=PUBLIC_URL,  # Twilio signs the public URL, whichever replica answers
        FRONTDESK_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        FRONTDESK_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        FRONTDESK_TWILIO_FROM_NUMBER=FROM_NUMBER,
    ) as c:
        yield c


@pytest.fixture(scope="module")
def a(servers: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers.a, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def b(servers: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=servers.b, timeout=30) as c:
        yield c


async def test_a_turn_running_on_a_is_cancelled_through_b(servers: Cluster) -> None:
    """The turn's tool waits on a table lock held by the test, so it is still running on A when B
    is asked to cancel it; B relays the cancel and answers once A ended the turn."""
    async with httpx.AsyncClient(timeout=30) as http:
        body = {
            "email": f"cancel-{uuid.uuid4().hex[:8]}@example.com",
            "password": "correct-horse-1",
            "name": "C",
        }
        headers = auth((await http.post(f"{servers.a}/auth/register", json=body)).json())
        other = {**body, "email": f"other-{uuid.uuid4().hex[:8]}@example.com"}
        others = auth((await http.post(f"{servers.b}/auth/register", json=other)).json())
        conv = (await http.post(f"{servers.a}/chat/conversations", headers=headers)).json()
        async with held_turn(http, servers, headers, conv["conversation_id"]) as held:
            turn_id = held.turn_id
            turn_url = f"{servers.b}/chat/turns/{turn_id}"
            assert (await http.delete(turn_url, headers=others)).status_code == 404  # not theirs
            assert (
                await http.delete(f"{servers.b}/chat/turns/turn:nope", headers=headers)
            ).status_code == 404
            started = time.monotonic()
            cancelled = await http.delete(turn_url, headers=headers)
            assert cancelled.status_code == 200, cancelled.text
            assert time.monotonic() - started < 10
            turn = cancelled.json()
            assert turn["status"] == "cancelled" and turn["error"]["code"] == "cancelled", turn
            await held.release()
        on_a = (await http.get(f"{servers.a}/chat/turns/{turn_id}", headers=headers)).json()
        assert on_a["status"] == "cancelled" and on_a["content"] is None, on_a
        again = await http.delete(turn_url, headers=headers)
        assert again.status_code == 409 and again.json()["code"] == "turn_finished", again.text


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/auth/login", json={"email": email, "password": password})


def test_failed_logins_spread_over_both_replicas_lock_the_email_at_the_limit(
    a: httpx.Client, b: httpx.Client
) -> None:
    user = register(a)
    email, password = str(user["email"]), str(user["password"])
    for client in (a, b, a):  # successful logins are taken back: they do not count
        assert login(client, email, password).status_code == 200
    for i in range(LOGIN_FAILURES):
        wrong = login(a if i % 2 == 0 else b, email, "not-the-password")
        assert wrong.status_code == 401, (i, wrong.text)
    for client in (a, b):  # locked on both, whatever the password
        refused = login(client, email, password)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1, refused.text
    someone = register(b, "Someone")
    assert login(a, str(someone["email"]), str(someone["password"])).status_code == 200


def signed(secret: str, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event).encode()
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Webhook-Signature": signature}


def test_inbound_webhooks_spread_over_both_replicas_hit_the_accounts_limit(
    a: httpx.Client, b: httpx.Client
) -> None:
    r = a.post("/webhooks/secrets/mezzofy", headers=auth(register(a)))
    assert r.status_code == 200, r.text
    account_id, secret = r.json()["account_id"], r.json()["secret"]

    def send(client: httpx.Client) -> httpx.Response:
        event = {
            "event": "ping",
            "event_id": f"evt-{uuid.uuid4().hex[:8]}",
            "data": {},
            "timestamp": "2026-12-01T10:00:00Z",
        }
        body, headers = signed(secret, event)
        return client.post(f"/webhooks/mezzofy?account_id={account_id}", content=body, headers=headers)

    for i in range(WEBHOOKS_PER_MINUTE):
        accepted = send(a if i % 2 == 0 else b)
        assert accepted.status_code == 200, (i, accepted.text)
    for client in (a, b):
        refused = send(client)
        assert refused.status_code == 429, refused.text


def test_a_phones_texts_spread_over_both_replicas_hit_the_hourly_limit(
    a: httpx.Client, b: httpx.Client
) -> None:
    phone = new_phone()  # linked to nobody: each text gets the polite reply, and counts
    for i in range(TEXTS_PER_HOUR):
        assert len(messages_of(text(a if i % 2 == 0 else b, phone, "hello"))) == 1
    [notice] = messages_of(text(b, phone, "hello"))
    assert f"limit of {TEXTS_PER_HOUR} messages an hour" in notice
    assert messages_of(text(a, phone, "hello")) == []  # one notice per window, whichever replica
    assert len(messages_of(text(a, new_phone(), "hello"))) == 1  # another phone counts on its own


def test_a_lead_created_while_redis_is_stopped_reaches_a_socket_on_b(
    servers: Cluster, redis: RedisServer, a: httpx.Client
) -> None:
    """Last in the module: it restarts Redis (whose data, rate-limit counts included, is lost)."""
    tokens = register(a)
    ws_url = servers.b.replace("http://", "ws://") + f"/ws?token={tokens['access_token']}"
    with connect(ws_url) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "connected"
        redis.stop()
        try:
            created = a.post("/api/leads", headers=auth(tokens), json={"name": "During Outage"})
            assert created.status_code == 201, created.text
            time.sleep(1.5)
        finally:
            redis.start()
        deadline = time.monotonic() + 30
        while True:
            event = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if event["type"] == "lead.created":
                break
        assert event["data"]["id"] == created.json()["id"] and event["data"]["name"] == "During Outage"
    for replica in (servers.a, servers.b):  # both report Redis connected again
        assert httpx.get(f"{replica}/health", timeout=5).json()["redis"] == "connected"
