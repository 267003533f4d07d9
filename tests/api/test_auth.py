"""Auth over real HTTP: register, login, refresh, logout, me, and the error shapes."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import _settings, auth, register, serve


def test_register_login_me(client: httpx.Client) -> None:
    tokens = register(client, "Reg")
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    assert tokens["user"]["user_id"].startswith("user:")
    assert tokens["account"]["account_id"].startswith("account:")
    r = client.post("/auth/login", json={"email": tokens["email"], "password": tokens["password"]})
    assert r.status_code == 200
    me = client.get("/auth/me", headers=auth(r.json())).json()
    assert me["email"] == tokens["email"]
    assert me["account_context"]["role"] == "Owner"
    assert "crm.read" in me["account_context"]["permissions"]


def test_wrong_password_is_401_with_detail(client: httpx.Client) -> None:
    tokens = register(client)
    r = client.post("/auth/login", json={"email": tokens["email"], "password": "wrong-password"})
    assert r.status_code == 401
    assert r.json()["detail"] == "Invalid email or password"
    assert r.headers["www-authenticate"] == "Bearer"


def test_duplicate_email_is_409(client: httpx.Client) -> None:
    tokens = register(client)
    r = client.post(
        "/auth/register", json={"email": tokens["email"].upper(), "password": "another-pass-1", "name": "Dup"}
    )
    assert r.status_code == 409
    assert "already registered" in r.json()["detail"]


def test_invalid_register_bodies_are_422(client: httpx.Client) -> None:
    for body in (
        {"email": "no-at-sign", "password": "long-enough-1", "name": "X"},
        {"email": "a@b.co", "password": "short", "name": "X"},
        {"email": "a@b.co", "password": "long-enough-1"},
    ):
        r = client.post("/auth/register", json=body)
        assert r.status_code == 422, body
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_malformed_json_is_422(client: httpx.Client) -> None:
    r = client.post("/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert "JSON" in r.json()["detail"]


def test_refresh_then_logout_revokes(client: httpx.Client) -> None:
    tokens = register(client)
    r = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 200
    fresh = r.json()
    assert client.get("/auth/me", headers=auth(fresh)).status_code == 200
    r = client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}, headers=auth(tokens))
    assert r.status_code == 204
    r = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


def test_logout_without_body_revokes_every_refresh_token(client: httpx.Client) -> None:
    tokens = register(client)
    second = client.post(
        "/auth/login", json={"email": tokens["email"], "password": tokens["password"]}
    ).json()
    assert client.post("/auth/logout", headers=auth(tokens)).status_code == 204
    for t in (tokens, second):
        assert client.post("/auth/refresh", json={"refresh_token": t["refresh_token"]}).status_code == 401


def test_bad_and_missing_tokens_are_401(client: httpx.Client) -> None:
    assert client.get("/auth/me").status_code == 401
    r = client.get("/auth/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert r.status_code == 401 and r.json()["detail"] == "Invalid access token"
    r = client.post("/auth/refresh", json={"refresh_token": "made-up"})
    assert r.status_code == 401


def test_login_is_rate_limited_per_ip(tmp_path: Path) -> None:
    settings = _settings(tmp_path, auth_rate_limit_per_minute=3, demo_data=False)
    if not settings.resolved_database_url.startswith("sqlite"):
        settings = settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'rl.db'}"})
    with serve(settings) as url, httpx.Client(base_url=url) as c:
        codes = [
            c.post("/auth/login", json={"email": "x@y.zz", "password": "nope"}).status_code for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        r = c.post("/auth/login", json={"email": "x@y.zz", "password": "nope"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "Rate limit" in r.json()["detail"]
