"""`frontdesk serve | chat | db upgrade | doctor | mcp | apikey | admin | data | demo | worker`.

`main` loads the settings once (a bad value: one line naming the variable on stderr, exit 2, no
traceback), configures logging once (`frontdesk.logs`: text on a terminal, JSON lines otherwise)
and runs the command. A domain error escaping a command (a model that needs a missing extra or
key, say) is one line and exit 2 as well.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from frontdesk import __version__, logs, tracing
from frontdesk.cli_admin import add_commands as add_admin_commands
from frontdesk.cli_data import add_commands as add_data_commands
from frontdesk.cli_doctor import add_commands as add_doctor_commands
from frontdesk.cli_mcp import add_commands as add_mcp_commands
from frontdesk.cli_worker import add_commands as add_worker_commands
from frontdesk.config import Settings, get_settings
from frontdesk.errors import FrontdeskError


async def _prepare(settings: Settings) -> str | None:
    """Migrate and seed; return the demo login line if the demo account exists."""
    from frontdesk.api.services import start_services
    from frontdesk.storage.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_exists

    services = await start_services(settings)
    try:
        async with services.db.session() as s:
            has_demo = await demo_exists(s)
    finally:
        await services.aclose()
    return f"email {DEMO_EMAIL}  password {DEMO_PASSWORD}" if has_demo else None


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """How `frontdesk serve` runs uvicorn. `proxy_headers=False`: uvicorn would otherwise believe
    `X-Forwarded-For` from 127.0.0.1; frontdesk resolves the client itself, trusting only
    `Settings.trusted_proxies` (`api/deps.py::client_ip`). `log_config=None`: uvicorn keeps its
    hands off logging (`frontdesk.logs` configured it), and frontdesk writes its own access line
    (`api/request_context.py`: request id, user, route template, status, duration)."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,
    }


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from frontdesk.api.app import create_app

    settings = settings.model_copy(
        update={"host": args.host or settings.host, "port": args.port or settings.port}
    )
    login = asyncio.run(_prepare(settings))
    url = f"http://{settings.host}:{settings.port}"
    print(f"frontdesk is starting on {url}  (API docs: {url}/docs)")
    print(f"database: {settings.resolved_database_url}   model: {settings.model}")
    from frontdesk.api.doors import webhook_urls

    print("webhooks it expects:\n  " + "\n  ".join(webhook_urls(settings)))
    if login:
        print(f"demo login: {login}")
        print(
            f"  curl -s -X POST {url}/auth/login -H 'content-type: application/json' "
            '-d \'{"email":"demo@frontdesk.local","password":"frontdesk-demo"}\''
        )
    uvicorn.run(create_app(settings), **uvicorn_options(settings))
    return 0


async def _chat(question: str, email: str | None, settings: Settings) -> int:
    from frontdesk.agent.events import Done, Failed, TextDelta, ToolCalled, ToolReturned
    from frontdesk.api.services import start_services
    from frontdesk.storage.accounts import load_identity
    from frontdesk.storage.demo import DEMO_EMAIL
    from frontdesk.storage.models import User
    from frontdesk.types import InboundMessage

    services = await start_services(settings)
    try:
        async with services.db.session() as s:
            user = await s.scalar(select(User).where(User.email == (email or DEMO_EMAIL).lower()))
            if user is None:
                print(f"no user {email or DEMO_EMAIL}; register one or enable demo data", file=sys.stderr)
                return 2
            principal = (await load_identity(s, user.id)).principal("cli")
        code = 0
        async for event in services.agent.run_turn(InboundMessage(principal, question, channel="cli")):
            if isinstance(event, ToolCalled):
                print(f"→ {event.name}({json.dumps(event.arguments)})", file=sys.stderr)
            elif isinstance(event, ToolReturned):
                note = "error" if event.is_error else "ok"
                print(f"← {event.name}: {note}", file=sys.stderr)
            elif isinstance(event, TextDelta):
                print(event.text, end="", flush=True)
            elif isinstance(event, Done):
                print(f"\n[{event.agent} · {event.usage.get('total_tokens', 0)} tokens]", file=sys.stderr)
            elif isinstance(event, Failed):
                print(f"\nerror: {event.detail}", file=sys.stderr)
                code = 1
        return code
    finally:
        await services.aclose()


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_chat(" ".join(args.question), args.email, settings))


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.storage.db import Database
    from frontdesk.storage.migrate import upgrade

    async def run() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await upgrade(db, args.revision)
        finally:
            await db.close()

    asyncio.run(run())
    print(f"database at {args.revision}: {settings.resolved_database_url}")
    return 0


class _HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, when it has one that the help does not name."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and default not in (None, False, argparse.SUPPRESS)
            and "default" not in text
        ):
            text += " (default: %(default)s)"
        return text


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="frontdesk",
        description="Chat-first AI agent server. Settings come from FRONTDESK_* variables or ./.env.",
    )
    parser.add_argument("--version", action="version", version=f"frontdesk {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="migrate, seed demo data, start the server")
    serve.add_argument("--host", help="address to listen on (default: FRONTDESK_HOST, else 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: FRONTDESK_PORT, else 8000)")
    serve.set_defaults(func=cmd_serve)
    chat = sub.add_parser("chat", help="ask one question in the terminal")
    chat.add_argument("question", nargs="+", help="the question, in words")
    chat.add_argument("--email", help="act as this user (default: the demo owner)")
    chat.set_defaults(func=cmd_chat)
    db = sub.add_parser("db", help="database commands")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("revision", nargs="?", default="heads", help="Alembic revision (default: every head)")
    up.set_defaults(func=cmd_db)
    add_doctor_commands(sub)
    add_mcp_commands(sub)
    add_admin_commands(sub)
    add_data_commands(sub)
    add_worker_commands(sub)
    return parser


def config_problem(error: ValidationError) -> str:
    """A settings error as one line naming each variable (values left out: they may be secrets)."""
    problems = []
    for e in error.errors():
        name = "FRONTDESK_" + str(e["loc"][0]).upper() if e["loc"] else "settings"
        problems.append(f"{name}: {e['msg']}")
    return "invalid configuration: " + "; ".join(problems)


def _fail(message: str) -> int:
    print(f"frontdesk: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ValidationError as e:
        return _fail(config_problem(e))
    if settings.otel_endpoint and not tracing.available():
        return _fail(tracing.MISSING_EXTRA)
    quiet = args.command == "mcp" and "log_level" not in settings.model_fields_set
    logs.configure(settings, level="WARNING" if quiet else None)  # stdio MCP: warnings unless asked
    try:
        return int(args.func(args, settings))
    except FrontdeskError as e:
        return _fail(e.detail)


if __name__ == "__main__":
    raise SystemExit(main())
