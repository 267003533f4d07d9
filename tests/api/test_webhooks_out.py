"""`/api/webhooks` through the real server with receivers on loopback: a subscription receives
`lead.created` signed with its secret (the test checks the HMAC over the raw body), a failing
receiver is retried with backoff and every attempt is logged, the SSRF guard refuses metadata and
private targets, and another account's events or subscriptions stay apart."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator

import httpx
import pytest
import respx

from tests.api.jobs_support import Receiver, job_settings, receiving, wait_until
from tests.api.test_connections import recorded
from tests.conftest import auth, register, serve


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with (
        serve(job_settings(tmp_path_factory.mktemp("webhooks-out"))) as url,
        httpx.Client(base_url=url, timeout=30) as c,
    ):
        yield c


def subscribe(api: httpx.Client, headers: dict[str, str], url: str, events: list[str]) -> dict[str, str]:
    r = api.post("/api/webhooks", headers=headers, json={"url": url, "events": events})
    assert r.status_code == 201, r.text
    return r.json()


def test_lead_created_arrives_signed(api: httpx.Client) -> None:
    headers = auth(register(api))
    with receiving(Receiver()) as receiver:
        sub = subscribe(api, headers, receiver.url, ["lead.created"])
        assert sub["secret"].startswith("whsec_") and sub["events"] == ["lead.created"]
        listed = api.get("/api/webhooks", headers=headers).json()["webhooks"]
        assert [w["id"] for w in listed] == [sub["id"]] and "secret" not in listed[0]
        lead = api.post("/api/leads", headers=headers, json={"name": "Jane Doe", "email": "jane@example.com"})
        assert lead.status_code == 201, lead.text
        (request,) = wait_until(lambda: receiver.requests)
    raw = request["body"]
    expected = "sha256=" + hmac.new(sub["secret"].encode(), raw, hashlib.sha256).hexdigest()
    assert request["headers"]["X-Webhook-Signature"] == expected
    payload = json.loads(raw)
    assert payload["event"] == "lead.created" and payload["timestamp"].endswith("Z")
    assert payload["data"]["id"] == lead.json()["id"] and payload["data"]["name"] == "Jane Doe"
    assert payload["data"]["email"] == "jane@example.com"

    def logged() -> list[dict[str, object]]:
        return api.get(f"/api/webhooks/{sub['id']}/deliveries", headers=headers).json()["deliveries"]

    (delivery,) = wait_until(logged)
    assert delivery["success"] and delivery["status_code"] == 200 and delivery["attempt"] == 1
    assert isinstance(delivery["latency_ms"], int) and delivery["event"] == "lead.created"


def test_a_failing_receiver_is_retried_with_backoff(api: httpx.Client) -> None:
    headers = auth(register(api))
    with receiving(Receiver(statuses=[503, 500, 200])) as receiver:
        sub = subscribe(api, headers, receiver.url, ["lead.created", "lead.updated"])
        api.post("/api/leads", headers=headers, json={"name": "Retry Me"})

        def three() -> list[dict[str, object]]:
            rows = api.get(f"/api/webhooks/{sub['id']}/deliveries", headers=headers).json()["deliveries"]
            return rows if len(rows) == 3 else []

        deliveries = list(reversed(wait_until(three)))
    assert [d["attempt"] for d in deliveries] == [1, 2, 3]
    assert [d["status_code"] for d in deliveries] == [503, 500, 200]
    assert [d["success"] for d in deliveries] == [False, False, True]
    assert deliveries[0]["error"] == "receiver answered 503"
    assert len({d["task_id"] for d in deliveries}) == 1  # one job, three attempts
    bodies = {r["body"] for r in receiver.requests}
    assert len(bodies) == 1  # the same signed payload each time


def test_a_receiver_that_never_recovers_fails_after_the_attempts(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = job_settings(tmp_path_factory.mktemp("webhooks-fail"), webhook_max_attempts=2)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as api:
        headers = auth(register(api))
        with receiving(Receiver(statuses=[500])) as receiver:
            sub = subscribe(api, headers, receiver.url, ["lead.created"])
            api.post("/api/leads", headers=headers, json={"name": "Never"})

            def two() -> list[dict[str, object]]:
                rows = api.get(f"/api/webhooks/{sub['id']}/deliveries", headers=headers).json()["deliveries"]
                return rows if len(rows) == 2 else []

            wait_until(two)
            time.sleep(1.0)  # no third attempt comes
            assert len(receiver.requests) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.8/hook",
        "http://localhost:9/hook",
        "ftp://example.com/hook",
        "http://user:pw@example.com/hook",
    ],
)
def test_the_ssrf_guard_refuses_private_targets(api: httpx.Client, url: str) -> None:
    headers = auth(register(api))
    r = api.post("/api/webhooks", headers=headers, json={"url": url, "events": ["lead.created"]})
    assert r.status_code == 400, r.text
    assert api.get("/api/webhooks", headers=headers).json()["webhooks"] == []


def test_unknown_events_and_other_accounts(api: httpx.Client) -> None:
    headers = auth(register(api))
    r = api.post(
        "/api/webhooks", headers=headers, json={"url": "https://example.com/h", "events": ["lead.exploded"]}
    )
    assert r.status_code == 422
    other = auth(register(api, "Other"))
    with receiving(Receiver()) as receiver:
        sub = subscribe(api, headers, receiver.url, ["lead.created"])
        assert api.get(f"/api/webhooks/{sub['id']}/deliveries", headers=other).status_code == 404
        assert api.delete(f"/api/webhooks/{sub['id']}", headers=other).status_code == 404
        api.post("/api/leads", headers=other, json={"name": "Not yours"})
        api.post("/api/leads", headers=headers, json={"name": "Yours"})
        wait_until(lambda: receiver.requests)
        assert api.delete(f"/api/webhooks/{sub['id']}", headers=headers).status_code == 204
    names = [json.loads(r["body"])["data"]["name"] for r in receiver.requests]
    assert names == ["Yours"]


def test_a_delivery_that_finally_fails_is_an_integration_error_without_loops(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    settings = job_settings(tmp_path_factory.mktemp("webhooks-error"), webhook_max_attempts=2)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as api:
        headers = auth(register(api))
        with receiving(Receiver(statuses=[500])) as broken, receiving(Receiver()) as watcher:
            # the broken receiver also takes integration.error: its failing there must not loop
            failing = subscribe(api, headers, broken.url, ["lead.created", "integration.error"])
            subscribe(api, headers, watcher.url, ["integration.error"])
            api.post("/api/leads", headers=headers, json={"name": "Unlucky"})
            (request,) = wait_until(lambda: watcher.requests)
            wait_until(lambda: len(broken.requests) >= 4)  # lead.created twice, integration.error twice
            time.sleep(1.0)  # and nothing more: the failed integration.error announces nothing
            assert len(watcher.requests) == 1 and len(broken.requests) == 4
    payload = json.loads(request["body"])
    assert payload["event"] == "integration.error"
    data = payload["data"]
    assert data["source"] == "webhook" and data["webhook_id"] == failing["id"]
    assert data["event"] == "lead.created" and data["attempts"] == 2
    assert data["error"] == "receiver answered 500"


def test_a_failing_connection_test_is_an_integration_error(api: httpx.Client) -> None:
    headers = auth(register(api))
    r = api.post(
        "/platforms/hubspot/connections",
        json={
            "name": "Ours",
            "auth_type": "api_key",
            "credentials": {"access_token": "pat-na1-x-0123456789"},
        },
        headers=headers,
    )
    assert r.status_code == 201, r.text
    cid = r.json()["connection_id"]
    with receiving(Receiver()) as watcher, respx.mock(assert_all_called=False) as mock:
        mock.route(host="127.0.0.1").pass_through()  # our own server and the receiver
        mock.get("https://api.hubapi.com/account-info/v3/details").mock(return_value=recorded("unauthorized"))
        subscribe(api, headers, watcher.url, ["integration.error"])
        failed = api.post(f"/platforms/hubspot/connections/{cid}/test", headers=headers)
        assert failed.json()["status"] == "failed"
        (request,) = wait_until(lambda: watcher.requests)
    data = json.loads(request["body"])["data"]
    assert (data["source"], data["connection_id"], data["platform"]) == ("connection", cid, "hubspot")
    assert "401" in data["error"]


def test_a_sync_that_the_platform_refuses_is_an_integration_error(api: httpx.Client) -> None:
    """`POST /data/sync` of every connection: HubSpot answers 401, the sync reports the connection
    skipped, and `integration.error` (source `sync`) goes out as it happens."""
    headers = auth(register(api))
    body = {"name": "Ours", "auth_type": "api_key", "credentials": {"access_token": "pat-na1-x-0123456789"}}
    cid = api.post("/platforms/hubspot/connections", json=body, headers=headers).json()["connection_id"]
    with receiving(Receiver()) as watcher, respx.mock(assert_all_called=False) as mock:
        mock.route(host="127.0.0.1").pass_through()
        mock.route(host="api.hubapi.com").mock(return_value=recorded("unauthorized"))
        subscribe(api, headers, watcher.url, ["integration.error"])
        r = api.post("/data/sync", json={}, headers=headers)
        assert r.status_code == 200, r.text
        assert [s["connection_id"] for s in r.json()["skipped"]] == [cid]
        (request,) = wait_until(lambda: watcher.requests)
    data = json.loads(request["body"])["data"]
    assert (data["source"], data["connection_id"], data["platform"]) == ("sync", cid, "hubspot")
