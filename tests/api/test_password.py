"""Passwords through the real server: change (wrong current 401, weak 400), forgot and reset with
the code read from the email outbox (a wrong or reused code is 400, too many wrong guesses spend
the code, refresh and access tokens already issued are revoked), and an unknown email answered like
a known one."""

from __future__ import annotations

import asyncio
import re
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import select

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.team_models import OutboxEmail, PasswordResetCode
from tests.conftest import _settings, auth, register, serve


def outbox(settings: Settings, email: str) -> list[OutboxEmail]:
    async def run() -> list[OutboxEmail]:
        db = Database(settings.resolved_database_url)
        try:
            async with db.session() as s:
                rows = await s.scalars(
                    select(OutboxEmail).where(OutboxEmail.to_email == email).order_by(OutboxEmail.created_at)
                )
                return list(rows)
        finally:
            await db.close()

    return asyncio.run(run())


def reset_code(settings: Settings, email: str) -> str:
    mails = [m for m in outbox(settings, email) if m.template == "password_reset"]
    found = re.search(r"\b(\d{6})\b", mails[-1].body)
    assert found, mails[-1].body
    return found.group(1)


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post("/auth/login", json={"email": email, "password": password})


def test_change_password(client: httpx.Client, server_settings: Settings) -> None:
    user = register(client, "Changer")
    h = auth(user)
    wrong = client.put(
        "/auth/password", json={"current_password": "nope", "new_password": "Str0ngPass"}, headers=h
    )
    assert wrong.status_code == 401
    for weak in ("short1A", "alllowercase1", "ALLUPPERCASE1", "NoDigitsHere"):
        r = client.put(
            "/auth/password", json={"current_password": user["password"], "new_password": weak}, headers=h
        )
        assert r.status_code == 400 and r.json()["code"] == "weak_password", weak
    r = client.put(
        "/auth/password", json={"current_password": user["password"], "new_password": "Str0ngPass"}, headers=h
    )
    assert r.status_code == 200 and r.json() == {"ok": True}
    assert login(client, str(user["email"]), str(user["password"])).status_code == 401
    assert login(client, str(user["email"]), "Str0ngPass").status_code == 200
    assert [m.template for m in outbox(server_settings, str(user["email"]))] == [
        "welcome",
        "password_changed",
    ]


def test_forgot_and_reset_with_the_code_from_the_outbox(
    client: httpx.Client, server_settings: Settings
) -> None:
    user = register(client, "Forgetful")
    email = str(user["email"])
    unknown = client.post("/auth/forgot-password", json={"email": f"nobody-{uuid.uuid4().hex}@example.com"})
    known = client.post("/auth/forgot-password", json={"email": email})
    assert unknown.status_code == known.status_code == 200 and unknown.json() == known.json()

    code = reset_code(server_settings, email)
    wrong = "000000" if code != "000000" else "111111"
    body = {"email": email, "code": wrong, "new_password": "N3wPassword"}
    assert client.post("/auth/reset-password", json=body).status_code == 400
    weak = {"email": email, "code": code, "new_password": "weak"}
    assert client.post("/auth/reset-password", json=weak).status_code == 400
    good = {"email": email, "code": code, "new_password": "N3wPassword"}
    assert client.post("/auth/reset-password", json=good).status_code == 200
    assert (
        client.post("/auth/reset-password", json=good | {"new_password": "Oth3rPassword"}).status_code == 400
    )
    fresh = login(client, email, "N3wPassword")
    assert fresh.status_code == 200
    assert login(client, email, str(user["password"])).status_code == 401
    # Every refresh token of the user was revoked by the reset, and so was the access token they held.
    assert client.post("/auth/refresh", json={"refresh_token": user["refresh_token"]}).status_code == 401
    assert client.get("/auth/me", headers=auth(user)).status_code == 401
    assert client.get("/auth/me", headers=auth(fresh.json())).status_code == 200
    # The reset code never shows in the admin's email history (no bodies there).
    history = client.get("/internal/emails/history", headers=auth(fresh.json())).json()
    assert {e["template"] for e in history["emails"]} >= {"password_reset"}
    assert code not in str(history)


def test_a_code_is_spent_after_too_many_wrong_guesses(
    client: httpx.Client, server_settings: Settings
) -> None:
    user = register(client, "Guesser")
    email = str(user["email"])
    client.post("/auth/forgot-password", json={"email": email})
    code = reset_code(server_settings, email)
    wrong = [f"{(int(code) + i) % 10**6:06d}" for i in range(1, 6)]
    for guess in wrong:  # password_reset_attempts defaults to 5
        r = client.post(
            "/auth/reset-password", json={"email": email, "code": guess, "new_password": "N3wPassword"}
        )
        assert r.status_code == 400
    r = client.post(
        "/auth/reset-password", json={"email": email, "code": code, "new_password": "N3wPassword"}
    )
    assert r.status_code == 400  # spent: ask for a new code

    async def stored() -> list[PasswordResetCode]:
        db = Database(server_settings.resolved_database_url)
        try:
            async with db.session() as s:
                return list(await s.scalars(select(PasswordResetCode)))
        finally:
            await db.close()

    assert all(code not in row.code_hash for row in asyncio.run(stored()))  # hashed, not stored


def test_registering_queues_a_welcome_email(client: httpx.Client, server_settings: Settings) -> None:
    user = register(client, "Newcomer")
    mails = outbox(server_settings, str(user["email"]))
    assert [(m.template, m.status) for m in mails] == [("welcome", "logged")]
    assert mails[0].subject.startswith("Welcome to frontdesk, Newcomer")
    assert mails[0].account_id == user["account"]["account_id"]  # type: ignore[index]


def test_profile_name_and_email(client: httpx.Client) -> None:
    user = register(client, "Profiled")
    other = register(client, "Taken")
    h = auth(user)
    assert client.put("/auth/profile", json={}, headers=h).status_code == 400
    new_email = f"renamed-{uuid.uuid4().hex[:8]}@example.com"
    move = {"name": "Renamed", "email": new_email}
    assert client.put("/auth/profile", json=move, headers=h).status_code == 401  # needs the password
    bad = move | {"current_password": "not-it"}
    assert client.put("/auth/profile", json=bad, headers=h).status_code == 401
    r = client.put("/auth/profile", json=move | {"current_password": user["password"]}, headers=h)
    assert r.status_code == 200, r.text
    assert (
        r.json()["name"] == "Renamed" and r.json()["email"] == new_email and r.json()["phone_number"] is None
    )
    taken = {"email": other["email"], "current_password": user["password"]}
    assert client.put("/auth/profile", json=taken, headers=h).status_code == 409
    assert client.put("/auth/profile", json={"name": "Only Name"}, headers=h).status_code == 200
    status = client.get("/auth/status", headers=h).json()
    assert status["name"] == "Only Name" and status["email"] == new_email
    assert login(client, new_email, str(user["password"])).status_code == 200


class Sink:
    """An SMTP server's handler that keeps what it receives (aiosmtpd, on loopback)."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_with_smtp_the_email_is_sent_and_marked(tmp_path: Path) -> None:
    sink, port = Sink(), _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = _settings(tmp_path, demo_data=False, smtp_url=f"smtp://127.0.0.1:{port}")
    try:
        with serve(settings) as url, httpx.Client(base_url=url, timeout=30) as client:
            user = register(client, "Mailed")
            assert client.post("/auth/forgot-password", json={"email": user["email"]}).status_code == 200
            deadline = time.monotonic() + 10
            while len(sink.messages) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
            welcome, envelope = sorted(
                sink.messages, key=lambda m: "Subject: Welcome" not in m.content.decode()
            )
            assert "Subject: Welcome to frontdesk, Mailed" in welcome.content.decode()
            assert envelope.rcpt_tos == [user["email"]]
            body = envelope.content.decode()
            code = re.search(r"\b(\d{6})\b", re.split(r"\r?\n\r?\n", body, maxsplit=1)[1])
            assert code and "Subject: Your frontdesk password reset code" in body
            while outbox(settings, str(user["email"]))[-1].status == "queued" and time.monotonic() < deadline:
                time.sleep(0.05)
            assert outbox(settings, str(user["email"]))[-1].status == "sent"
            reset = {"email": user["email"], "code": code.group(1), "new_password": "Sm7pPassword"}
            assert client.post("/auth/reset-password", json=reset).status_code == 200
    finally:
        controller.stop()
