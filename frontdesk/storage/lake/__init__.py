"""The analytics lake: Parquet files per account / connection / object type, queried with DuckDB.

`store.Lake` (paths, atomic writes), `catalog` (the SQL catalog rows), `schema` (object types),
`filters` + `query` (structured queries), `sandbox` (read-only analyst SQL), `generate`
(demo data at scale), `native` (the native CRM as tables), `ad_csv` + `ads` (ad exports in,
`read_ad_daily` out).
"""

from frontdesk.storage.lake.ads import read_ad_daily
from frontdesk.storage.lake.filters import Filters
from frontdesk.storage.lake.store import Lake

__all__ = ["Filters", "Lake", "read_ad_daily"]
