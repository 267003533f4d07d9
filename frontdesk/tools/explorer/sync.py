"""Sync: copy each connection's objects into the lake, one atomic Parquet file per object type.

Where the rows come from, by the connection's platform:
- `native`: the account's CRM tables, read in bulk (`storage.lake.native`);
- `generated`: the deterministic demo generator at the size in the connection's settings
  (`frontdesk demo --contacts N` makes this connection);
- `upload`: nothing to fetch — CSV imports write its objects directly;
- `google_ads`, `meta_ads`, `ga4`: the ads family's sources (`sync_ads`);
- any other platform: its `Connector` (`connectors.factory.connector_for`), paged through
  `list_objects` until the last page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from frontdesk.config import Settings
from frontdesk.errors import FrontdeskError
from frontdesk.storage.db import Database
from frontdesk.storage.events import Event
from frontdesk.storage.ids import iso
from frontdesk.storage.lake import catalog, native
from frontdesk.storage.lake.generate import generate
from frontdesk.storage.lake.schema import OBJECT_TYPE_RE, records_to_table
from frontdesk.storage.lake.store import Lake
from frontdesk.storage.models import Connection
from frontdesk.tools.base import ToolContext
from frontdesk.tools.connectors.base import ConnectorError
from frontdesk.tools.connectors.factory import connector_for
from frontdesk.tools.explorer.sync_ads import AD_PLATFORMS, ad_tables

PAGE = 500
GENERATED = "generated"
UPLOAD = "upload"
# (connection, object_type, records done so far, total records if known)
Progress = Callable[[Connection, str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class Synced:
    connection_id: str
    platform: str
    object_type: str
    record_count: int
    last_synced: str | None

    def public(self) -> dict[str, Any]:
        return {
            "connection_id": self.connection_id,
            "platform": self.platform,
            "object_type": self.object_type,
            "record_count": self.record_count,
            "last_synced": self.last_synced,
        }


async def _write(db: Database, lake: Lake, conn: Connection, object_type: str, table: pa.Table) -> Synced:
    written = await asyncio.to_thread(lake.write, conn.account_id, conn.id, object_type, table)
    async with db.session() as s:
        row = await catalog.record(
            s, await catalog.get_connection(s, conn.account_id, conn.id), object_type, written
        )
    return Synced(conn.id, conn.platform, object_type, row.record_count, iso(row.last_synced))


async def _native(db: Database, lake: Lake, conn: Connection, progress: Progress | None) -> list[Synced]:
    out = []
    for object_type in native.OBJECT_TYPES:
        async with db.session() as s:
            total = await native.count(s, conn.account_id, object_type)
            done = 0

            def step(n: int, object_type: str = object_type, total: int = total) -> None:
                nonlocal done
                done += n
                if progress:
                    progress(conn, object_type, done, total)

            if progress:
                progress(conn, object_type, 0, total)
            table = await native.read_table(s, conn.account_id, object_type, step)
        out.append(await _write(db, lake, conn, object_type, table))
    return out


async def _generated(db: Database, lake: Lake, conn: Connection, progress: Progress | None) -> list[Synced]:
    opts = conn.settings or {}
    anchor = date.fromisoformat(str(opts["anchor"])) if opts.get("anchor") else None
    tables = await asyncio.to_thread(
        generate, int(opts.get("contacts", 5000)), seed=int(opts.get("seed", 42)), anchor=anchor
    )
    out = []
    for object_type, table in tables.items():
        out.append(await _write(db, lake, conn, object_type, table))
        if progress:
            progress(conn, object_type, table.num_rows, table.num_rows)
    return out


async def _connector(
    db: Database, lake: Lake, conn: Connection, secret: str, progress: Progress | None
) -> list[Synced]:
    source = connector_for(conn, db=db, secret=secret)
    out = []
    for object_type in source.object_types():
        if not OBJECT_TYPE_RE.fullmatch(object_type):
            continue
        records: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = await source.list_objects(object_type, cursor=cursor, limit=PAGE)
            records += page.records
            if progress:
                progress(conn, object_type, len(records), page.total)
            cursor = page.next_cursor
            if cursor is None or not page.records:
                break
        table = await asyncio.to_thread(records_to_table, object_type, records)
        out.append(await _write(db, lake, conn, object_type, table))
    return out


async def _ads(db: Database, lake: Lake, conn: Connection, progress: Progress | None) -> list[Synced]:
    out = []
    for object_type, table in (await ad_tables(conn)).items():
        out.append(await _write(db, lake, conn, object_type, table))
        if progress:
            progress(conn, object_type, table.num_rows, table.num_rows)
    return out


async def sync_connection(
    db: Database, settings: Settings, conn: Connection, progress: Progress | None = None
) -> list[Synced]:
    """Copy one connection's objects into the lake and record them in the catalog.
    A connection nothing can serve raises `Invalid`."""
    lake = Lake.for_settings(settings)
    if conn.platform == "native":
        return await _native(db, lake, conn, progress)
    if conn.platform == GENERATED:
        return await _generated(db, lake, conn, progress)
    if conn.platform == UPLOAD:
        return []
    if conn.platform in (*AD_PLATFORMS, "ga4"):
        return await _ads(db, lake, conn, progress)
    return await _connector(db, lake, conn, settings.resolved_secret_key(), progress)


@dataclass(slots=True)
class SyncReport:
    synced: list[Synced] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # connection_id, platform, reason

    def public(self) -> dict[str, Any]:
        return {
            "synced": [s.public() for s in self.synced],
            "objects": len(self.synced),
            "skipped": self.skipped,
        }


async def sync_account(
    db: Database,
    settings: Settings,
    account_id: str,
    connection_id: str | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Sync one connection of the account (404 if not theirs; errors propagate), or with
    `connection_id=None` every active one, where a connection that fails is reported as skipped."""
    async with db.session() as s:
        if connection_id is None:
            conns = await catalog.list_connections(s, account_id)
        else:
            conns = [await catalog.get_connection(s, account_id, connection_id)]
    report = SyncReport()
    for conn in conns:
        try:
            report.synced += await sync_connection(db, settings, conn, progress)
        except FrontdeskError as e:
            if isinstance(e, ConnectorError):  # the platform failed: announced as it happens
                data = {"source": "sync", "connection_id": conn.id, "platform": conn.platform}
                db.events.publish(Event(account_id, "integration.error", data | {"error": e.detail}))
            if connection_id is not None:
                raise
            report.skipped.append({"connection_id": conn.id, "platform": conn.platform, "reason": e.detail})
    return report


async def sync_as(ctx: ToolContext, connection_id: str | None = None) -> SyncReport:
    """Sync for a principal (needs `can_manage_connections`): one connection, or all of theirs."""
    ctx.require("can_manage_connections")
    return await sync_account(ctx.db, ctx.settings, ctx.principal.account_id, connection_id)
