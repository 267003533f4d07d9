"""`export_data`: a query's matching rows (up to 10,000) written as a CSV file to the files store.

The same export as `POST /data/export` (`files.export_rows`), kept as a file of the caller's so a
chat answer can carry a download link (`/files/{id}`, which only its owner can read) and the row
count, instead of pasting rows.
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Annotated, Any

from pydantic import Field

from frontdesk.storage.files import save_file
from frontdesk.tools.base import ToolContext
from frontdesk.tools.explorer.files import MAX_EXPORT_ROWS, export_rows
from frontdesk.tools.explorer.tools import PERMISSION, ConnectionId


def _collect(chunks: Any) -> tuple[bytes, int]:
    data = b"".join(chunks)
    rows = sum(1 for _ in csv.reader(io.StringIO(data.decode()))) - 1 if data else 0
    return data, max(rows, 0)


async def export_data(
    ctx: ToolContext,
    nl_query: Annotated[
        str, Field(min_length=1, max_length=500, description="What to export, e.g. 'VIP contacts'.")
    ],
    connection_id: ConnectionId = None,
    sort: Annotated[list[str] | None, Field(description="Fields to sort by; '-field' descending.")] = None,
    max_rows: Annotated[int, Field(ge=1, le=MAX_EXPORT_ROWS, description="Row cap.")] = MAX_EXPORT_ROWS,
) -> dict[str, Any]:
    """Export the synced rows matching a plain-English question to a CSV file; returns the file's
    download URL and the number of rows written."""
    ctx.require(PERMISSION)
    out = await export_rows(ctx, connection_id, nl_query=nl_query, sort=sort, fmt="csv", max_rows=max_rows)
    data, rows = await asyncio.to_thread(_collect, out.chunks)
    await ctx.progress(1, 2, f"{rows} rows exported")
    stored = await save_file(
        ctx.db,
        ctx.settings.data_dir,
        ctx.principal,
        data,
        filename=out.filename,
        content_type="text/csv",
        file_type="csv",
    )
    await ctx.progress(2, 2, f"saved as {stored.filename}")
    return {
        "file_id": stored.id,
        "filename": stored.filename,
        "download_url": f"/files/{stored.id}",
        "rows": rows,
        "size_bytes": stored.size_bytes,
        "object_type": out.filename.split("-export.")[0],
        "nl_query": nl_query,
    }
