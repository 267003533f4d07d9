"""`frontdesk mcp` (the registry over stdio, for Claude Desktop) and `frontdesk apikey create|list|revoke`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from datetime import timedelta

from sqlalchemy import select

from frontdesk.config import Settings


def _err(message: str) -> None:
    print(message, file=sys.stderr)


async def _mcp(settings: Settings) -> int:
    from frontdesk.api.services import start_services
    from frontdesk.errors import Unauthenticated
    from frontdesk.storage.apikeys import identity_for_api_key
    from frontdesk.tools.mcp_prompts import DepartmentPrompt
    from frontdesk.tools.mcp_server import RequestContext, build_mcp_server, serve_stdio
    from frontdesk.types import Principal

    data_dir = settings.data_dir.resolve()
    if not data_dir.is_dir():  # else the store would be seeded afresh in the working directory
        _err(
            f"the data directory {data_dir} does not exist: set FRONTDESK_DATA_DIR to the server's "
            "data directory (`frontdesk serve` or `frontdesk db upgrade` creates one)"
        )
        return 2
    key = settings.mcp_api_key
    if not key:
        _err("set FRONTDESK_MCP_API_KEY to an API key (create one with `frontdesk apikey create --email …`)")
        return 2
    with contextlib.redirect_stdout(sys.stderr):  # stdout carries JSON-RPC only
        services = await start_services(settings)
    try:

        async def principal(_ctx: RequestContext | None = None) -> Principal:
            # Checked on every request, so revoking the key takes effect at once.
            async with services.db.session() as s:
                return (await identity_for_api_key(s, key)).principal("mcp")

        try:
            who = await principal()
        except Unauthenticated as e:
            _err(f"FRONTDESK_MCP_API_KEY: {e.detail}")
            return 2
        await services.start_background()  # helper executions queued over MCP run here too
        tools = len(services.registry.visible_to(who))
        _err(f"frontdesk MCP server on stdio as {who.user_id} ({who.role}, {tools} tools)")
        prompts = DepartmentPrompt.from_departments(services.agent.departments.values())
        server = build_mcp_server(services.registry, services.db, settings, principal, prompts=prompts)
        await serve_stdio(server)
        return 0
    finally:
        await services.aclose()


async def _apikey_create(email: str, name: str, days: int | None, settings: Settings) -> int:
    from frontdesk.api.services import start_services
    from frontdesk.storage.accounts import load_identity
    from frontdesk.storage.apikeys import create_api_key
    from frontdesk.storage.ids import utcnow
    from frontdesk.storage.models import User

    services = await start_services(settings)
    try:
        async with services.db.session() as s:
            user = await s.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                _err(f"no user {email}; register one (POST /auth/register) or enable demo data")
                return 2
            identity = await load_identity(s, user.id)
            expires = utcnow() + timedelta(days=days) if days else None
            created = await create_api_key(s, identity, name, expires_at=expires)
    finally:
        await services.aclose()
    _err(
        f"created API key {created.row.id} ({created.row.prefix}…) for {user.email} "
        f"in {identity.account.id} as {identity.membership.role}; it is shown only once:"
    )
    print(created.key)
    return 0


async def _apikey_list(email: str, settings: Settings) -> int:
    from frontdesk.storage.apikeys import key_status, list_api_keys
    from frontdesk.storage.ids import iso
    from frontdesk.storage.migrate import open_migrated
    from frontdesk.storage.models import User

    db = await open_migrated(settings.resolved_database_url)
    try:
        async with db.session() as s:
            user = await s.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None or user.current_account_id is None:
                _err(f"no user {email}")
                return 2
            rows, _ = await list_api_keys(s, user.current_account_id, limit=1000)
    finally:
        await db.close()
    for r in rows:
        state = key_status(r)
        print(f"{r.id}  {r.prefix}…  {state:7}  last used {iso(r.last_used_at) or 'never'}  {r.name}")
    return 0


async def _apikey_revoke(key_id: str, settings: Settings) -> int:
    from frontdesk.storage.apikey_models import ApiKey
    from frontdesk.storage.apikeys import revoke_api_key
    from frontdesk.storage.migrate import open_migrated

    db = await open_migrated(settings.resolved_database_url)
    try:
        async with db.session() as s:
            row = await s.get(ApiKey, key_id)
            if row is None:
                _err(f"no API key {key_id}")
                return 2
            await revoke_api_key(s, row.account_id, key_id)
    finally:
        await db.close()
    _err(f"revoked {key_id}")
    return 0


def cmd_mcp(_args: argparse.Namespace, settings: Settings) -> int:
    """Logging is set up by `cli.main` (stderr; WARNING unless FRONTDESK_LOG_LEVEL says otherwise)."""
    return asyncio.run(_mcp(settings))


def cmd_apikey(args: argparse.Namespace, settings: Settings) -> int:
    if args.apikey_command == "create":
        return asyncio.run(_apikey_create(args.email, args.name, args.expires_in_days, settings))
    if args.apikey_command == "list":
        return asyncio.run(_apikey_list(args.email, settings))
    return asyncio.run(_apikey_revoke(args.key_id, settings))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `mcp` and `apikey` on the `frontdesk` parser."""
    mcp = sub.add_parser(
        "mcp",
        help="serve the tools over MCP stdio as FRONTDESK_MCP_API_KEY's user "
        "(FRONTDESK_DATA_DIR must name an existing data directory)",
    )
    mcp.set_defaults(func=cmd_mcp)
    apikey = sub.add_parser("apikey", help="API keys (for MCP clients and scripts)")
    apikey_sub = apikey.add_subparsers(dest="apikey_command", required=True)
    create = apikey_sub.add_parser("create", help="create a key for a user; prints it once on stdout")
    create.add_argument("--email", required=True, help="the user the key acts as (in their current account)")
    create.add_argument("--name", default="CLI key", help="what the key is for")
    create.add_argument("--expires-in-days", type=int, help="days until it expires (default: never)")
    listing = apikey_sub.add_parser("list", help="list the keys of a user's current account")
    listing.add_argument("--email", required=True, help="the user whose current account's keys to list")
    revoke = apikey_sub.add_parser("revoke", help="revoke a key by id")
    revoke.add_argument("key_id", help="the key's id (`apikey list` shows it)")
    for p in (create, listing, revoke):
        p.set_defaults(func=cmd_apikey)
