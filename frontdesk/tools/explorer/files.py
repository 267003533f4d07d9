"""Files in and out of the lake: query exports (CSV / JSON, streamed) and ad-platform CSV imports."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from frontdesk.errors import Invalid, TooLarge
from frontdesk.storage.lake import ad_csv, ads, catalog
from frontdesk.storage.lake.ad_csv import NotCsv, Platform
from frontdesk.storage.lake.filters import Filters
from frontdesk.storage.lake.query import connect, export_batches, json_value
from frontdesk.storage.lake.store import Lake
from frontdesk.tools.base import ToolContext
from frontdesk.tools.explorer.sync import UPLOAD
from frontdesk.tools.explorer.tools import PERMISSION, connection_objects, lake_object, plan_query

MAX_EXPORT_ROWS = 10_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
CSV_TYPES = {
    "text/csv",
    "application/csv",
    "text/plain",
    "text/tab-separated-values",
    "application/vnd.ms-excel",
    "application/octet-stream",
}


@dataclass(frozen=True, slots=True)
class Export:
    media_type: str
    filename: str
    chunks: Iterator[bytes]  # blocking: iterate in a worker thread


def _csv_chunks(batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
    header_done = False
    for batch in batches:
        buf = io.StringIO()
        writer = csv.writer(buf)
        if not header_done:
            writer.writerow(batch.schema.names)
            header_done = True
        for row in batch.to_pylist():
            writer.writerow(
                ";".join(map(str, v)) if isinstance(v, list) else ("" if v is None else json_value(v))
                for v in row.values()
            )
        yield buf.getvalue().encode()


def _json_chunks(batches: Iterator[pa.RecordBatch]) -> Iterator[bytes]:
    first = True
    yield b"["
    for batch in batches:
        parts = []
        for row in batch.to_pylist():
            parts.append(("" if first else ",") + json.dumps({k: json_value(v) for k, v in row.items()}))
            first = False
        yield "".join(parts).encode()
    yield b"]"


async def export_rows(
    ctx: ToolContext,
    connection_id: str | None,
    *,
    nl_query: str | None = None,
    filters: Filters | None = None,
    sort: list[str] | None = None,
    fmt: Literal["csv", "json"] = "csv",
    max_rows: int = MAX_EXPORT_ROWS,
) -> Export:
    """Every matching row (up to 10,000) as CSV or JSON chunks. Bad filters fail here, before the
    first byte, so the caller can still answer 400."""
    ctx.require(PERMISSION)
    if not 1 <= max_rows <= MAX_EXPORT_ROWS:
        raise Invalid(f"Exports are limited to {MAX_EXPORT_ROWS} rows")
    conn, objects = await connection_objects(ctx, connection_id)
    used, found = await plan_query(ctx, objects, nl_query, filters)
    obj = await lake_object(ctx, conn.id, used.object_type)
    path = Lake.for_settings(ctx.settings).resolve(ctx.principal.account_id, obj.path)
    types = {f["name"]: f["type"] for f in obj.fields}
    sort = sort or (found.sort if found else None)
    batches = await asyncio.to_thread(export_batches, path, types, used, sort=sort, max_rows=max_rows)
    name = f"{used.object_type}-export.{fmt}"
    if fmt == "csv":
        return Export("text/csv; charset=utf-8", name, _csv_chunks(batches))
    return Export("application/json", name, _json_chunks(batches))


def check_upload_type(content_type: str | None, filename: str | None) -> None:
    kind = (content_type or "").split(";")[0].strip().lower()
    name = (filename or "").lower()
    if kind not in CSV_TYPES or (
        kind == "application/octet-stream" and not name.endswith((".csv", ".tsv", ".txt"))
    ):
        raise NotCsv(
            f"Unsupported file type '{kind or 'unknown'}' for {filename or 'the upload'}: send a CSV export"
        )


def _campaigns(rows: pa.Table) -> pa.Table:
    with connect() as conn:
        conn.register("rows", rows)
        return conn.sql(
            "SELECT campaign_id AS id, platform, ad_account_id, arg_max(campaign_name, date) AS name, "
            "NULL::VARCHAR AS status, NULL::VARCHAR AS objective, NULL::DOUBLE AS daily_budget, "
            "arg_max(currency, date) AS currency, min(date) AS start_date "
            "FROM rows GROUP BY ALL ORDER BY platform, id"
        ).to_arrow_table()


async def import_ad_export(
    ctx: ToolContext,
    data: bytes,
    *,
    filename: str | None = None,
    content_type: str | None = None,
    platform: Platform | None = None,
    currency: str = "USD",
    ad_account_id: str = "",
) -> dict[str, Any]:
    """Parse a Meta Ads or Google Ads CSV export and merge its rows into the account's `upload`
    connection as `ad_daily_metrics` (and the `campaigns` they name)."""
    ctx.require("can_manage_connections")
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLarge(f"Uploads are limited to {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
    check_upload_type(content_type, filename)
    found, table = await asyncio.to_thread(
        ad_csv.parse, data, platform=platform, currency=currency, ad_account_id=ad_account_id
    )
    lake = Lake.for_settings(ctx.settings)
    account_id = ctx.principal.account_id
    async with ctx.db.session() as s:
        conn = await catalog.ensure_connection(s, account_id, UPLOAD, "Uploaded ad exports", {})

    def merged() -> tuple[pa.Table, pa.Table]:
        rows = ads.merge(lake.read(account_id, conn.id, ads.OBJECT), table)
        return rows, _campaigns(rows)

    rows, campaigns = await asyncio.to_thread(merged)
    for object_type, t in ((ads.OBJECT, rows), ("campaigns", campaigns)):
        written = await asyncio.to_thread(lake.write, account_id, conn.id, object_type, t)
        async with ctx.db.session() as s:
            await catalog.record(
                s, await catalog.get_connection(s, account_id, conn.id), object_type, written
            )
    spend = float(sum(table.column("spend").to_pylist()))
    value = float(sum(table.column("conversion_value").to_pylist()))
    days = table.column("date").to_pylist()
    return {
        "connection_id": conn.id,
        "filename": filename,
        "platform": found,
        "rows_imported": table.num_rows,
        "rows_in_lake": rows.num_rows,
        "date_from": min(days).isoformat(),
        "date_to": max(days).isoformat(),
        "campaigns": len(set(table.column("campaign_id").to_pylist())),
        "spend": round(spend, 2),
        "conversion_value": round(value, 2),
        "roas": round(value / spend, 2) if spend else None,
    }
