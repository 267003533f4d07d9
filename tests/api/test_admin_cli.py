"""`frontdesk admin grant|revoke` run as a real subprocess against the server's store: an operator is
an admin in the account they are in (their role there notwithstanding), at once and with the token
they hold; revoked, they are not."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx

from frontdesk.config import Settings
from tests.conftest import auth, register


def frontdesk(args: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {
        "FRONTDESK_DATA_DIR": str(settings.data_dir),
        "FRONTDESK_DATABASE_URL": settings.resolved_database_url,
        "FRONTDESK_DEMO_DATA": "false",
    }
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_an_operator_is_an_admin_until_revoked(client: httpx.Client, server_settings: Settings) -> None:
    owner = auth(register(client, "Boss"))
    email = f"ops-{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "name": "Ops", "password": "Opsy1234", "role": "viewer"}
    assert client.post("/admin/users", json=body, headers=owner).status_code == 201
    viewer = auth(client.post("/auth/login", json={"email": email, "password": "Opsy1234"}).json())
    assert client.get("/admin/users", headers=viewer).status_code == 403

    granted = frontdesk(["admin", "grant", "--email", email], server_settings)
    assert granted.returncode == 0, granted.stderr
    assert "now an operator" in granted.stderr
    assert client.get("/admin/users", headers=viewer).status_code == 200
    assert (
        client.get("/admin/audit", params={"action": "operator.grant"}, headers=viewer).json()["total"] == 1
    )

    revoked = frontdesk(["admin", "revoke", "--email", email], server_settings)
    assert revoked.returncode == 0, revoked.stderr
    assert client.get("/admin/users", headers=viewer).status_code == 403
    unknown = frontdesk(["admin", "grant", "--email", "nobody@example.com"], server_settings)
    assert unknown.returncode == 2 and "No user" in unknown.stderr
