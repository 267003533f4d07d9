"""Ad daily metrics in the lake: merging imported rows, and reading them back for the ad tools.

The canonical row (`schema.SCHEMAS["ad_daily_metrics"]`):
`date, platform (google_ads|meta_ads), ad_account_id, campaign_id, campaign_name, impressions,
clicks, spend, conversions, conversion_value, currency`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from frontdesk.storage.lake.query import connect, rows_of, shared
from frontdesk.storage.lake.schema import SCHEMAS
from frontdesk.storage.lake.store import Lake

OBJECT = "ad_daily_metrics"
KEY = ("date", "platform", "ad_account_id", "campaign_id")


def merge(existing: pa.Table | None, new: pa.Table) -> pa.Table:
    """`existing` with the rows of `new` added; a new row replaces an old one with the same
    (date, platform, ad_account_id, campaign_id), so uploading the same export twice is a no-op."""
    new = new.select(SCHEMAS[OBJECT].names).cast(SCHEMAS[OBJECT])
    if existing is None or existing.num_rows == 0:
        return new
    existing = existing.select(SCHEMAS[OBJECT].names).cast(SCHEMAS[OBJECT])
    with connect() as conn:
        conn.register("old_rows", existing)
        conn.register("new_rows", new)
        on = " AND ".join(f"o.{k} IS NOT DISTINCT FROM n.{k}" for k in KEY)
        return conn.sql(
            f"SELECT * FROM new_rows UNION ALL "
            f"SELECT o.* FROM old_rows o WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE {on}) "
            "ORDER BY date, platform, campaign_id"
        ).to_arrow_table()


def read_ad_daily(
    lake: Lake,
    account_id: str,
    start: date,
    end: date,
    platform: str | None = None,
    connection_id: str | None = None,
) -> list[dict[str, Any]]:
    """The account's ad daily metric rows with `start <= date <= end` (both inclusive), from every
    connection's `ad_daily_metrics` in the lake (CSV imports, generated demo data, synced ad
    platforms) or only `connection_id`'s, optionally one `platform`. Rows are canonical dicts with
    `date` as an ISO day string, sorted by date, platform, campaign. Blocking."""
    if connection_id is not None:
        path = lake.path(account_id, connection_id, OBJECT)
        files = [path] if path.exists() else []
    else:
        files = lake.files(account_id, OBJECT)
    if not files:
        return []
    cols = ", ".join(SCHEMAS[OBJECT].names)
    listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in files)
    sql = (
        f"SELECT {cols} FROM read_parquet([{listed}], hive_partitioning=false, union_by_name=true) "
        "WHERE date BETWEEN ? AND ?"
        + (" AND platform = ?" if platform else "")
        + " ORDER BY date, platform, campaign_id"
    )
    params: list[Any] = [start, end] + ([platform] if platform else [])
    return rows_of(shared().sql(sql, params=params).to_arrow_table())
