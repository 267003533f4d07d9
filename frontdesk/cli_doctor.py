"""`frontdesk doctor`: what this configuration is, and whether it can run — without starting the
server, changing the database or reaching the network.

Each check prints one line, `ok`, `warn`, `off` (not configured, which is fine) or `FAIL`, and the
command exits 1 when any check fails:

- **settings**: loaded (a bad value never gets here: `frontdesk` says so and exits 2);
- **data directory** and **lake**: exist and are writable (created by `frontdesk serve` or
  `frontdesk db upgrade`);
- **database**: reachable, and its schema at the migrations' heads (no migration is applied);
- **model**: the configured model and fallbacks resolve (SDK extra installed, API key set);
- **doors**: SMS (Twilio), Teams, SMTP, Stripe, Redis — configured, off, or half-configured (FAIL);
- **speech/OCR**: the engines' packages import; **tracing** and **/metrics** protection.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from frontdesk import __version__, tracing
from frontdesk.config import Settings

_DOORS: dict[str, tuple[str, ...]] = {
    "SMS (Twilio)": ("twilio_auth_token", "twilio_account_sid", "twilio_from_number"),
    "Teams": ("teams_app_id", "teams_app_password"),
    "Stripe billing": ("stripe_secret_key", "stripe_webhook_secret"),
}


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    state: str  # ok | warn | off | FAIL
    detail: str


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK | os.X_OK)


def check_data_dir(settings: Settings) -> list[Check]:
    root = settings.data_dir.resolve()
    if not root.is_dir():
        detail = f"{root} does not exist (run `frontdesk serve` or `frontdesk db upgrade` once)"
        return [Check("data directory", "FAIL", detail)]
    checks = [
        Check(
            "data directory",
            "ok" if _writable(root) else "FAIL",
            f"{root}" + ("" if _writable(root) else " is not writable"),
        )
    ]
    lake = root / "lake"
    if not lake.exists():
        checks.append(Check("lake", "warn", f"{lake} not created yet (the first sync or demo creates it)"))
    else:
        files = sum(1 for _ in lake.rglob("*.parquet"))
        state = "ok" if _writable(lake) else "FAIL"
        checks.append(
            Check(
                "lake", state, f"{lake}: {files} Parquet files" + ("" if state == "ok" else ", not writable")
            )
        )
    return checks


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable URL)"


async def check_database(settings: Settings) -> Check:
    """Reachable, and the schema at every migration head (read, not applied)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from frontdesk.storage.db import Database
    from frontdesk.storage.migrate import alembic_config

    url = settings.resolved_database_url
    if url.startswith("sqlite") and not settings.data_dir.is_dir():
        return Check("database", "FAIL", f"{_safe_url(url)}: no data directory")
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            current = set(await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads()))
    except Exception as e:
        return Check(
            "database", "FAIL", f"{_safe_url(url)} unreachable: {type(e).__name__}: {e}".splitlines()[0]
        )
    finally:
        await db.close()
    if current != heads:
        missing = len(heads - current)
        detail = (
            f"{_safe_url(url)}: schema not current ({missing} head(s) to apply: run `frontdesk db upgrade`)"
        )
        return Check("database", "FAIL", detail)
    return Check("database", "ok", f"{_safe_url(url)}, migrations current")


def check_model(settings: Settings) -> Check:
    from frontdesk.agent.providers import model_chain, resolve_model
    from frontdesk.errors import FrontdeskError

    chain = " -> ".join(model_chain(settings.model, settings))
    try:
        resolve_model(settings.model, settings)
    except FrontdeskError as e:
        return Check("model", "FAIL", f"{chain}: {e.detail}")
    note = " (offline planner, no network)" if chain == "offline" else ""
    return Check("model", "ok", chain + note)


def check_doors(settings: Settings) -> list[Check]:
    checks = []
    for name, fields in _DOORS.items():
        unset = [f"FRONTDESK_{f.upper()}" for f in fields if not getattr(settings, f)]
        if len(unset) == len(fields):
            checks.append(Check(name, "off", "not configured"))
        elif unset:
            checks.append(Check(name, "FAIL", f"half configured: set {', '.join(unset)}"))
        else:
            checks.append(Check(name, "ok", "configured"))
    smtp = _safe_url(settings.smtp_url) if settings.smtp_url else None
    checks.append(
        Check("email", "ok" if smtp else "off", smtp or "no SMTP: emails go to the log and the outbox")
    )
    redis = _safe_url(settings.redis_url) if settings.redis_url else None
    checks.append(Check("redis", "ok" if redis else "off", redis or "single process: in-memory queues"))
    mcp = ", ".join(settings.mcp_servers) or "none"
    checks.append(Check("external MCP servers", "ok" if settings.mcp_servers else "off", mcp))
    return checks


def check_media() -> list[Check]:
    out = []
    for name, module in (("speech-to-text", "faster_whisper"), ("OCR", "rapidocr_onnxruntime")):
        found = importlib.util.find_spec(module) is not None
        out.append(Check(name, "ok" if found else "warn", module + (" installed" if found else " missing")))
    return out


def check_operations(settings: Settings) -> list[Check]:
    metrics = "bearer token" if settings.metrics_token else "loopback clients only"
    checks = [Check("logs", "ok", f"{settings.log_format} format, level {settings.log_level}")]
    checks.append(Check("/metrics", "ok", metrics))
    if not settings.otel_endpoint:
        checks.append(Check("tracing", "off", "FRONTDESK_OTEL_ENDPOINT unset"))
    elif tracing.available():
        checks.append(Check("tracing", "ok", f"OTLP/HTTP to {settings.otel_endpoint}"))
    else:
        checks.append(Check("tracing", "FAIL", tracing.MISSING_EXTRA))
    return checks


def run_checks(settings: Settings) -> list[Check]:
    checks = [Check("settings", "ok", f"frontdesk {__version__}; serve on {settings.host}:{settings.port}")]
    checks += check_data_dir(settings)
    checks.append(asyncio.run(check_database(settings)))
    steps: list[Callable[[], Check | list[Check]]] = [
        lambda: check_model(settings),
        lambda: check_doors(settings),
        check_media,
        lambda: check_operations(settings),
    ]
    for step in steps:
        found = step()
        checks += found if isinstance(found, list) else [found]
    return checks


def cmd_doctor(_args: argparse.Namespace, settings: Settings) -> int:
    checks = run_checks(settings)
    width = max(len(c.name) for c in checks)
    for c in checks:
        print(f"{c.state:4}  {c.name:{width}}  {c.detail}")
    failed = [c.name for c in checks if c.state == "FAIL"]
    print(f"\n{len(failed)} failing: {', '.join(failed)}" if failed else "\nall checks passed")
    return 1 if failed else 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = sub.add_parser(
        "doctor", help="check the configuration, database, lake, model and doors; exit 1 on a failure"
    )
    doctor.set_defaults(func=cmd_doctor)
