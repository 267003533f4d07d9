"""Structured queries over one Parquet file with DuckDB. Every function here blocks: call it
through `asyncio.to_thread` from async code."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from frontdesk.errors import Invalid
from frontdesk.storage.ids import iso
from frontdesk.storage.lake.filters import Compiler, Filters

MAX_LIMIT = 1000
_CONFIG = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "threads": 2,
    "memory_limit": "1GB",
}


_local = threading.local()


def connect() -> duckdb.DuckDBPyConnection:
    """A fresh in-memory DuckDB (no extension loading, two threads), for work that registers
    tables or outlives one call. Close it."""
    return duckdb.connect(":memory:", config=dict(_CONFIG))


def shared() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB for queries that name their files by path and register
    nothing (opening a connection costs ~20 ms; a query on a small file costs less)."""
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = connect()
    return conn


def _source(path: Path) -> str:
    literal = str(path).replace("'", "''")
    return f"read_parquet('{literal}', hive_partitioning=false)"


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def rows_of(table: pa.Table) -> list[dict[str, Any]]:
    return [{k: json_value(v) for k, v in row.items()} for row in table.to_pylist()]


@dataclass(frozen=True, slots=True)
class Page:
    results: list[dict[str, Any]]
    total: int
    query_time_ms: float
    has_more: bool


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    params: list[Any]


def compile_select(
    path: Path, field_types: dict[str, str], filters: Filters, sort: list[str] | None
) -> tuple[Compiled, Compiled]:
    """(rows query without LIMIT, count query) for the filters. Raises `Invalid` on unknown fields."""
    c = Compiler(filters.object_type, field_types)
    where = c.where(filters)
    order = c.order_by(sort)
    src = _source(path)
    return (
        Compiled(f"SELECT {c.columns()} FROM {src} WHERE {where} ORDER BY {order}", list(c.params)),
        Compiled(f"SELECT count(*) FROM {src} WHERE {where}", list(c.params)),
    )


def _run(conn: duckdb.DuckDBPyConnection, q: Compiled) -> duckdb.DuckDBPyRelation:
    try:
        return conn.sql(q.sql, params=q.params)
    except duckdb.Error as e:  # a value DuckDB could not compare with the column's type
        raise Invalid(f"Query failed: {str(e).splitlines()[0]}") from e


def query_page(
    path: Path,
    field_types: dict[str, str],
    filters: Filters,
    *,
    sort: list[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Page:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise Invalid("offset must be 0 or more")
    rows_q, count_q = compile_select(path, field_types, filters, sort)
    started = time.perf_counter()
    conn = shared()
    try:
        total = int(_run(conn, count_q).fetchall()[0][0])
        page = _run(conn, Compiled(f"{rows_q.sql} LIMIT {limit} OFFSET {offset}", rows_q.params))
        table = page.to_arrow_table()
    except duckdb.Error as e:
        raise Invalid(f"Query failed: {str(e).splitlines()[0]}") from e
    elapsed = (time.perf_counter() - started) * 1000
    return Page(rows_of(table), total, round(elapsed, 2), offset + table.num_rows < total)


def export_batches(
    path: Path,
    field_types: dict[str, str],
    filters: Filters,
    *,
    sort: list[str] | None,
    max_rows: int,
    batch_rows: int = 1000,
) -> Iterator[pa.RecordBatch]:
    """Up to `max_rows` matching rows as Arrow record batches. The query is compiled (and bad
    fields refused) before the first batch is produced."""
    rows_q, _ = compile_select(path, field_types, filters, sort)
    conn = connect()
    try:
        rel = _run(conn, Compiled(f"{rows_q.sql} LIMIT {int(max_rows)}", rows_q.params))
        reader = rel.to_arrow_reader(batch_rows)
    except BaseException:
        conn.close()
        raise

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            yield from reader
        finally:
            conn.close()

    return batches()
