"""Hostile input gets a 4xx, never a 500, through the real server: lone UTF-16 surrogates, control
characters, bodies over the cap (declared or streamed), validation errors that would echo secrets
or huge inputs, numbers and dates an engine cannot hold; and an unexpected error answers 500
without resetting the keep-alive connection it came on."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from frontdesk.api.app import create_app
from tests.api.live_server import local_port, serve_app
from tests.conftest import _settings, auth, demo_login, register, serve

JSON = {"content-type": "application/json"}
TEXT_PROBLEM = "Text may not contain"


def email() -> str:
    return f"hostile-{uuid.uuid4().hex[:8]}@example.com"


def test_an_unexpected_error_is_a_json_500_and_the_connection_lives_on(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path, demo_data=False))

    @app.get("/test-only/crash")  # this test's own app instance; no such route in the product
    async def crash() -> None:
        raise RuntimeError("secret internals")

    with serve_app(app) as url, httpx.Client(base_url=url, timeout=30) as c:
        for _ in range(2):
            first = c.get("/test-only/crash")
            assert first.status_code == 500
            assert first.json() == {"detail": "Internal server error", "code": "internal"}
            assert "connection" not in first.headers  # no `Connection: close`
            second = c.get("/health")
            assert second.status_code == 200
            assert local_port(second) == local_port(first)  # the same keep-alive connection


@pytest.mark.parametrize("escape", [b"\\ud800", b"\\udfff", b"a\\udc00b", b"\\ud83dx"])
def test_a_lone_surrogate_in_any_json_body_is_422(client: httpx.Client, escape: bytes) -> None:
    h = demo_login(client)
    bodies = [
        ("/auth/login", b'{"email": "a@b.cc", "password": "' + escape + b'"}', {}),
        ("/auth/register", b'{"email": "s@b.cc", "password": "abcdefghij", "name": "' + escape + b'"}', {}),
        ("/api/contacts", b'{"name": "' + escape + b'"}', h),
        ("/chat/send", b'{"message": "hi", "session_id": "' + escape + b'"}', h),
        ("/api/contacts", b'{"name": "ok", "tags": ["x", {"' + escape + b'": 1}]}', h),
    ]
    for path, body, headers in bodies:
        r = client.post(path, content=body, headers=JSON | headers)
        assert r.status_code == 422, (path, r.text)
        assert r.json()["code"] == "validation_error" and "surrogate" in r.json()["detail"], r.text
        after = client.get("/health")
        assert after.status_code == 200 and local_port(after) == local_port(r)  # not reset


def test_raw_surrogate_bytes_are_refused_and_real_pairs_are_kept(client: httpx.Client) -> None:
    raw = b'{"email": "' + email().encode() + b'", "password": "abcdefghij", "name": "\xed\xa0\x80"}'
    r = client.post("/auth/register", content=raw, headers=JSON)
    assert r.status_code == 422 and "name" in r.json()["detail"]
    pair = b'{"email": "' + email().encode() + b'", "password": "abcdefghij", "name": "Ann \\ud83d\\ude00"}'
    r = client.post("/auth/register", content=pair, headers=JSON)
    assert r.status_code == 201, r.text
    assert r.json()["user"]["name"] == "Ann \U0001f600"


def test_control_characters_are_refused_in_names_text_and_queries(client: httpx.Client) -> None:
    r = client.post("/auth/register", json={"email": email(), "password": "abcdefghij", "name": "a\x00b"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("name: ") and TEXT_PROBLEM in r.json()["detail"]
    assert r.json()["errors"][0]["loc"] == ["body", "name"]
    h = demo_login(client)
    for bad in ("\x1b[31mred", "del\x7f", "bell\x07", "\x0c"):
        r = client.post("/api/contacts", json={"name": "Ok", "company": bad}, headers=h)
        assert r.status_code == 422 and r.json()["detail"].startswith("company: "), (bad, r.text)
    r = client.get("/api/contacts", params={"search": "a\x00"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"].startswith("query.search: "), r.text
    r = client.post("/chat/send", json={"message": "hi\x00there"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"].startswith("message: ")
    # Tabs and line breaks are text, not control characters to refuse.
    ok = client.post("/auth/register", json={"email": email(), "password": "abcdefghij", "name": "A\tB\r\nC"})
    assert ok.status_code == 201, ok.text


def test_a_body_over_the_cap_is_413_before_it_is_parsed(client: httpx.Client) -> None:
    huge = b'{"email": "a@b.cc", "password": "' + b"x" * (1024 * 1024) + b'"}'
    r = client.post("/auth/login", content=huge, headers=JSON)
    assert r.status_code == 413 and r.json() == {
        "detail": "Request body is over the 1 MiB limit",
        "code": "too_large",
    }
    not_json = b"{" * (2 * 1024 * 1024)  # would be a 422 if it were parsed
    assert client.post("/auth/login", content=not_json, headers=JSON).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: Transfer-Encoding: chunked
        yield b'{"email": "a@b.cc", "password": "'
        for _ in range(40):
            yield b"y" * 32 * 1024
        yield b'"}'

    r = client.post("/auth/login", content=chunks(), headers=JSON)
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    fits = b'{"email": "a@b.cc", "password": "' + b"x" * 1000 + b'"}'
    assert client.post("/auth/login", content=fits, headers=JSON).status_code == 422  # reached the route


def test_the_cap_is_configurable_and_uploads_keep_their_own(tmp_path: Path) -> None:
    settings = _settings(tmp_path, demo_data=False, max_body_bytes=4096)
    with serve(settings) as url, httpx.Client(base_url=url, timeout=60) as c:
        h = auth(register(c))
        r = c.post("/api/contacts", json={"name": "x" * 5000}, headers=h)
        assert r.status_code == 413 and "4 KiB" in r.json()["detail"]
        csv = b"Day,Campaign,Impr.,Clicks,Cost\n" + b"2026-01-01,A,1,1,1\n" * 3000  # ~57 KB
        r = c.post("/data/import", headers=h, files={"google_csv": ("g.csv", csv, "text/csv")})
        assert r.status_code == 201, r.text


def test_validation_errors_never_echo_secrets_or_huge_inputs(client: httpx.Client) -> None:
    secret = "hunter2-very-secret-password"
    r = client.post("/auth/register", json={"email": email(), "password": secret})  # name missing
    assert r.status_code == 422 and r.json()["detail"] == "name: Field required"
    assert secret not in r.text
    long_secret = "s3cr3t" * 60  # over the 256 limit
    r = client.post("/auth/login", json={"email": "a@b.cc", "password": long_secret})
    assert r.status_code == 422 and "password" in r.json()["detail"] and "s3cr3t" not in r.text
    r = client.post("/auth/refresh", json={"refresh_token": "rt-" + "z" * 600})
    assert r.status_code == 422 and "zzzz" not in r.text
    big_name = "N" * 50_000
    r = client.post("/auth/register", json={"email": email(), "password": "abcdefghij", "name": big_name})
    assert r.status_code == 422 and "NNNN" not in r.text and len(r.content) < 2000
    short = client.get("/api/contacts", params={"limit": "many"}, headers=demo_login(client))
    assert short.status_code == 422 and short.json()["errors"][0]["input"] == "many"  # short, harmless


@pytest.mark.parametrize("offset", ["99999999999999999999", "9223372036854775808"])
def test_offsets_past_64_bits_are_a_clear_400(client: httpx.Client, offset: str) -> None:
    h = demo_login(client)
    r = client.get("/api-keys", params={"offset": offset}, headers=h)
    assert r.status_code in (400, 422), r.text
    body = r.json()
    assert "offset" in body["detail"] and body["code"] in ("out_of_range", "validation_error")
    for engine_text in ("SQLite", "INTEGER", "Python int", "int64", "asyncpg"):
        assert engine_text not in r.text


def test_dates_at_the_end_of_time_are_a_clear_400(client: httpx.Client) -> None:
    h = auth(register(client))
    r = client.get("/api/v1/message-history/search/", params={"q": "x", "date_to": "9999-12-31"}, headers=h)
    assert r.status_code == 400
    assert r.json() == {
        "detail": "date_to: out of range (too near the end of the calendar)",
        "code": "out_of_range",
    }
    r = client.get("/api/v1/message-history/search/", params={"q": "x", "date_to": "10000-01-01"}, headers=h)
    assert r.status_code == 422 and "date_to" in r.json()["detail"]
    assert json.dumps(r.json()).isascii()
