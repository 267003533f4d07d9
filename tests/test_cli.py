"""The `frontdesk` command, run as a real subprocess on a fresh data directory."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from frontdesk import tracing


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


def run_env(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`run` with extra FRONTDESK_* variables."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    base |= {"FRONTDESK_DATA_DIR": str(cwd / "data"), "FRONTDESK_DEMO_CONTACTS": "60"} | env
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args],
        cwd=cwd,
        env=base,
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


def test_version(tmp_path: Path) -> None:
    from frontdesk import __version__

    out = run(["--version"], tmp_path)
    assert out.returncode == 0 and out.stdout.strip() == f"frontdesk {__version__}"


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    bad = run_env(["doctor"], tmp_path, FRONTDESK_PORT="eighty", FRONTDESK_LOG_FORMAT="xml")
    assert bad.returncode == 2, bad.stderr
    [line] = bad.stderr.strip().splitlines()
    assert line.startswith("frontdesk: invalid configuration: ")
    assert "FRONTDESK_PORT" in line and "FRONTDESK_LOG_FORMAT" in line and "Traceback" not in bad.stderr
    assert "eighty" not in line  # values are left out: they may be secrets


def test_a_missing_extra_for_tracing_or_a_model_is_one_line(tmp_path: Path) -> None:
    model = run_env(["chat", "hi"], tmp_path, FRONTDESK_MODEL="anthropic/claude-x")
    assert model.returncode == 2 and "Traceback" not in model.stderr
    assert model.stderr.strip().splitlines()[-1].startswith("frontdesk: ")


def test_every_option_has_help_and_shows_its_default() -> None:
    from frontdesk.cli import build_parser

    parsers = [build_parser()]
    missing = []
    while parsers:
        parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.values())
            elif not action.help and action.dest != "help":
                missing.append(f"{parser.prog} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, missing
    demo_help = build_parser()._subparsers._group_actions[0].choices["demo"].format_help()  # type: ignore[union-attr]
    assert "(default: 42)" in " ".join(demo_help.split())
    serve_help = run(["serve", "--help"], Path.cwd())
    assert "--port PORT" in serve_help.stdout and "8000" in serve_help.stdout


def test_doctor_reports_a_healthy_setup(tmp_path: Path) -> None:
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    doctor = run(["doctor"], tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    lines = {line.split()[1]: line for line in doctor.stdout.splitlines() if line.strip() and " " in line}
    assert lines["database"].startswith("ok") and "migrations current" in lines["database"]
    assert lines["model"].startswith("ok") and "offline" in lines["model"]
    assert lines["settings"].startswith("ok")
    assert "all checks passed" in doctor.stdout


def test_doctor_fails_on_a_missing_data_dir_and_a_half_configured_door(tmp_path: Path) -> None:
    doctor = run_env(["doctor"], tmp_path, FRONTDESK_TWILIO_AUTH_TOKEN="token-only")
    assert doctor.returncode == 1
    assert "FAIL  data directory" in doctor.stdout
    assert "FRONTDESK_TWILIO_ACCOUNT_SID" in doctor.stdout  # what the SMS door still lacks
    assert "token-only" not in doctor.stdout
    assert not (tmp_path / "data").exists()  # doctor creates nothing


def test_mcp_refuses_a_missing_data_dir(tmp_path: Path) -> None:
    out = run_env(["mcp"], tmp_path, FRONTDESK_MCP_API_KEY="fdk_whatever")
    assert out.returncode == 2 and out.stdout == ""
    assert "data directory" in out.stderr and "FRONTDESK_DATA_DIR" in out.stderr
    assert not (tmp_path / "data").exists()  # nothing seeded in the working directory


def test_tracing_endpoint_without_the_otel_extra_is_one_line(tmp_path: Path) -> None:
    """The extra is hidden from the child process (a `None` in `sys.modules` blocks the import)."""
    hide = "import sys; sys.modules['opentelemetry.exporter'] = None; from frontdesk.cli import main; "
    env = {k: v for k, v in os.environ.items() if not k.startswith("FRONTDESK_")}
    env |= {"FRONTDESK_DATA_DIR": str(tmp_path / "data"), "FRONTDESK_OTEL_ENDPOINT": "http://127.0.0.1:4318"}
    out = subprocess.run(
        [sys.executable, "-c", hide + "raise SystemExit(main(['serve']))"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and out.stderr.strip() == "frontdesk: " + tracing.MISSING_EXTRA
    assert not (tmp_path / "data").exists()  # it stopped before doing anything
