"""`frontdesk admin grant|revoke --email E`: mark a user an operator, an admin in every account
they are in (`storage/admin_users.py::set_operator`). Only the command line sets it, never the API."""

from __future__ import annotations

import argparse
import asyncio
import sys

from frontdesk.config import Settings
from frontdesk.errors import NotFound


async def _set_operator(email: str, on: bool, settings: Settings) -> int:
    from frontdesk.storage.admin_users import set_operator
    from frontdesk.storage.migrate import open_migrated

    db = await open_migrated(settings.resolved_database_url)
    try:
        user = await set_operator(db, email, on)
    except NotFound as e:
        print(e.detail, file=sys.stderr)
        return 2
    finally:
        await db.close()
    print(f"{user.email} is {'now' if on else 'no longer'} an operator", file=sys.stderr)
    return 0


def cmd_admin(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_set_operator(args.email, args.admin_command == "grant", settings))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `admin grant|revoke` on the `frontdesk` parser."""
    admin = sub.add_parser("admin", help="operator-wide admins")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    grant = admin_sub.add_parser("grant", help="make a user an admin in every account they are in")
    revoke = admin_sub.add_parser("revoke", help="take operator rights back")
    for p in (grant, revoke):
        p.add_argument("--email", required=True, help="the user's login email")
        p.set_defaults(func=cmd_admin)
