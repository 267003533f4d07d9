"""The `frontdesk` command, run as a real subprocess on a fresh data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {"FRONTDESK_DATA_DIR": str(cwd / "data"), "FRONTDESK_DEMO_CONTACTS": "60"}
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_db_upgrade_and_chat(tmp_path: Path) -> None:
    up = run(["db", "upgrade"], tmp_path)
    assert up.returncode == 0, up.stderr
    assert (tmp_path / "data" / "frontdesk.db").exists()
    chat = run(["chat", "how", "is", "the", "pipeline", "looking?"], tmp_path)
    assert chat.returncode == 0, chat.stderr
    assert "→ pipeline_summary({})" in chat.stderr
    assert chat.stdout.startswith("Your pipeline has ")


def test_chat_for_unknown_user_fails_clearly(tmp_path: Path) -> None:
    chat = run(["chat", "hi", "--email", "nobody@example.com"], tmp_path)
    assert chat.returncode == 2 and "no user nobody@example.com" in chat.stderr
