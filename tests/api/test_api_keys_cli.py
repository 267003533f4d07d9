"""`frontdesk apikey create | list | revoke`, run as a real subprocess on a fresh data directory."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from frontdesk.storage.apikey_models import ApiKey
from frontdesk.storage.db import Database
from frontdesk.storage.demo import DEMO_EMAIL


def frontdesk(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {"FRONTDESK_DATA_DIR": str(data_dir), "FRONTDESK_DEMO_CONTACTS": "40"}
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def stored_keys(data_dir: Path) -> list[ApiKey]:
    async def load() -> list[ApiKey]:
        db = Database(f"sqlite+aiosqlite:///{data_dir / 'frontdesk.db'}")
        try:
            async with db.session() as s:
                return list(await s.scalars(select(ApiKey)))
        finally:
            await db.close()

    return asyncio.run(load())


def test_create_list_and_revoke_from_the_command_line(tmp_path: Path) -> None:
    created = frontdesk(["apikey", "create", "--email", DEMO_EMAIL, "--name", "Claude Desktop"], tmp_path)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("fdk_") and "\n" not in key  # stdout is the key alone, for scripts
    assert "shown only once" in created.stderr and "Owner" in created.stderr

    [row] = stored_keys(tmp_path)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() and row.name == "Claude Desktop"

    listed = frontdesk(["apikey", "list", "--email", DEMO_EMAIL], tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert row.id in listed.stdout and key[:12] in listed.stdout and "active" in listed.stdout
    assert key not in listed.stdout

    revoked = frontdesk(["apikey", "revoke", row.id], tmp_path)
    assert revoked.returncode == 0, revoked.stderr
    [row] = stored_keys(tmp_path)
    assert row.revoked_at is not None
    assert "revoked" in frontdesk(["apikey", "list", "--email", DEMO_EMAIL], tmp_path).stdout


def test_unknown_user_or_key_fails_clearly(tmp_path: Path) -> None:
    created = frontdesk(["apikey", "create", "--email", "nobody@example.com"], tmp_path)
    assert created.returncode == 2 and "no user nobody@example.com" in created.stderr
    assert created.stdout == ""
    revoked = frontdesk(["apikey", "revoke", "apikey:nope"], tmp_path)
    assert revoked.returncode == 2 and "no API key apikey:nope" in revoked.stderr
    missing = frontdesk(["apikey", "create"], tmp_path)
    assert missing.returncode == 2 and "--email" in missing.stderr
