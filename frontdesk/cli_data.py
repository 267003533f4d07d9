"""`frontdesk data sync` and `frontdesk demo --contacts N`: the lake from the command line,
with a progress bar per object. `frontdesk demo --messages N [--conversations M]` and
`--crm-contacts N` bulk-load the SQL store instead (`frontdesk.storage.bulk_demo`)."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from frontdesk.config import Settings
from frontdesk.storage.db import Database
from frontdesk.storage.models import Connection, User

DEFAULT_DEMO_CONTACTS = 5000
console = Console(stderr=True)


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


class _Tracker:
    """Turns sync progress callbacks into one progress-bar task per (connection, object)."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.tasks: dict[tuple[str, str], Any] = {}

    def __call__(self, conn: Connection, object_type: str, done: int, total: int | None) -> None:
        key = (conn.id, object_type)
        if key not in self.tasks:
            self.tasks[key] = self.bar.add_task(f"{conn.platform:<10} {object_type:<18}", total=total)
        self.bar.update(self.tasks[key], completed=done, total=total if total is not None else done)


async def _open(settings: Settings) -> Database:
    from frontdesk.storage.migrate import open_migrated

    return await open_migrated(settings.resolved_database_url)


async def _account_ids(db: Database, email: str | None, connection_id: str | None = None) -> list[str]:
    """The accounts to sync: the user's, the connection's owner, or every account with a connection."""
    async with db.session() as s:
        if connection_id and not email:
            owner = await s.scalar(select(Connection.account_id).where(Connection.id == connection_id))
            if owner is None:
                raise SystemExit(f"no connection {connection_id}")
            return [owner]
        if email:
            account_id = await s.scalar(select(User.current_account_id).where(User.email == email.lower()))
            if account_id is None:
                raise SystemExit(f"no user {email}")
            return [account_id]
        return sorted(set(await s.scalars(select(Connection.account_id))))


async def _sync(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.tools.explorer.sync import sync_account

    db = await _open(settings)
    try:
        accounts = await _account_ids(db, args.email, args.connection)
        started = time.perf_counter()
        synced = skipped = 0
        with _bar() as bar:
            tracker = _Tracker(bar)
            for account_id in accounts:
                report = await sync_account(db, settings, account_id, args.connection, tracker)
                synced += len(report.synced)
                skipped += len(report.skipped)
                for s in report.skipped:
                    console.print(f"skipped {s['platform']} {s['connection_id']}: {s['reason']}")
        elapsed = time.perf_counter() - started
        print(f"synced {synced} objects of {len(accounts)} account(s) in {elapsed:.1f} s ({skipped} skipped)")
        return 0
    finally:
        await db.close()


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.storage.demo import DEMO_EMAIL, demo_exists, seed_demo
    from frontdesk.storage.lake import catalog
    from frontdesk.tools.explorer.sync import GENERATED, sync_connection

    db = await _open(settings)
    try:
        async with db.session() as s:
            if not await demo_exists(s):
                await seed_demo(s, seed=settings.demo_seed, contacts=settings.demo_contacts)
            account_id = await s.scalar(select(User.current_account_id).where(User.email == DEMO_EMAIL))
            assert account_id is not None
            options = {"contacts": args.contacts, "seed": args.seed, "anchor": args.anchor}
            name = f"Generated demo data ({args.contacts:,} contacts)"
            conn = await catalog.ensure_connection(s, account_id, GENERATED, name, options)
        started = time.perf_counter()
        with _bar() as bar:
            synced = await sync_connection(db, settings, conn, _Tracker(bar))
        elapsed = time.perf_counter() - started
        counts = ", ".join(f"{x.record_count:,} {x.object_type}" for x in synced)
        print(f"generated {counts} in {elapsed:.1f} s")
        print(f"connection: {conn.id}  (log in as {DEMO_EMAIL}; POST /data/query with this connection_id)")
        return 0
    finally:
        await db.close()


async def _bulk(args: argparse.Namespace, settings: Settings) -> int:
    from frontdesk.storage import bulk_crm, bulk_demo

    db = await _open(settings)
    try:
        with _bar() as bar:
            tasks: dict[str, Any] = {}

            def progress(what: str, done: int, total: int) -> None:
                if what not in tasks:
                    tasks[what] = bar.add_task(f"{what:<10}", total=total)
                bar.update(tasks[what], completed=done, total=total)

            started = time.perf_counter()
            if args.messages:
                conversations = args.conversations or max(1, args.messages // 50)
                await bulk_demo.load_messages(db, args.messages, conversations, progress=progress)
                bar.stop()
                print(f"loaded {args.messages:,} messages in {conversations:,} conversations "
                      f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
            if args.crm_contacts:
                started = time.perf_counter()
                await bulk_crm.load_contacts(db, args.crm_contacts, progress=progress)
                bar.stop()
                print(f"loaded {args.crm_contacts:,} CRM contacts in {time.perf_counter() - started:.1f} s")
        return 0
    finally:
        await db.close()


def cmd_data_sync(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_sync(args, settings))


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    for name in ("messages", "conversations", "crm_contacts"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise SystemExit(f"--{name.replace('_', '-')} must be at least 1")
    if args.messages or args.crm_contacts:
        code = asyncio.run(_bulk(args, settings))
        if args.contacts is None:
            return code
    args.contacts = DEFAULT_DEMO_CONTACTS if args.contacts is None else args.contacts
    if args.contacts < 1:
        raise SystemExit("--contacts must be at least 1")
    if args.anchor:
        try:
            date.fromisoformat(args.anchor)
        except ValueError:
            raise SystemExit(f"--anchor must be a date like 2026-06-30, not {args.anchor!r}") from None
    return asyncio.run(_demo(args, settings))


def add_commands(sub: Any) -> None:
    data = sub.add_parser("data", help="data lake commands")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    sync = data_sub.add_parser("sync", help="copy every connection's objects into the lake")
    sync.add_argument("--email", help="only this user's account (default: every account)")
    sync.add_argument("--connection", help="only this connection id (with --email)")
    sync.set_defaults(func=cmd_data_sync)
    demo = sub.add_parser("demo", help="generate deterministic demo data straight into the lake")
    demo.add_argument("--contacts", type=int, help=f"lake contacts (default {DEFAULT_DEMO_CONTACTS:,})")
    demo.add_argument("--messages", type=int, help="bulk-load this many messages into the SQL store")
    demo.add_argument("--conversations", type=int, help="spread --messages over this many (default N/50)")
    demo.add_argument(
        "--crm-contacts", type=int, help="bulk-load this many native CRM contacts (+ tags, leads)"
    )
    demo.add_argument("--seed", type=int, default=42, help="random seed: the same seed, the same data")
    demo.add_argument("--anchor", help="last day of the data, YYYY-MM-DD (default: today)")
    demo.set_defaults(func=cmd_demo)
