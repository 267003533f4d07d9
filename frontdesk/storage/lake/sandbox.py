"""Read-only SQL for analysts over one account's objects, and nothing else.

Defence in depth:
1. the text must parse as exactly one SELECT statement (no COPY, ATTACH, INSTALL/LOAD, SET, PRAGMA,
   CREATE, ...), whose table references are plain names (views, CTEs) or the table functions
   `range`, `generate_series` and `unnest` — no file functions (`read_parquet`, `glob`, ...) and
   no file paths as tables;
2. the DuckDB connection is in memory with external access disabled except for the account's own
   Parquet files (`allowed_paths`), extension loading off and its configuration locked, so even a
   query that slipped past (1) could read no other file, URL or database;
3. a statement timeout (the query is interrupted) and a row cap.

Blocking: call through `asyncio.to_thread`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from frontdesk.errors import Invalid
from frontdesk.storage.lake.query import rows_of

_CONFIG = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "threads": 2,
    "memory_limit": "1GB",
}
TABLE_FUNCTIONS = {"range", "generate_series", "unnest"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class SqlResult:
    columns: list[dict[str, str]]
    rows: list[dict[str, Any]]
    row_count: int
    truncated: bool
    query_time_ms: float


def _refs(node: object, found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(node, dict):
        if node.get("type") == "TABLE_FUNCTION":
            found.append(("function", str((node.get("function") or {}).get("function_name"))))
        elif node.get("type") == "BASE_TABLE":
            found.append(("table", str(node.get("table_name"))))
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def check_select(sql: str) -> str:
    """The statement, if `sql` is exactly one SELECT over plain names; otherwise `Invalid` saying why."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as e:
        raise Invalid(f"SQL does not parse: {str(e).splitlines()[0]}") from e
    if len(statements) != 1:
        raise Invalid("Send exactly one SQL statement")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise Invalid(f"Only SELECT is allowed (got {kind.name})")
    with duckdb.connect(":memory:", config=dict(_CONFIG)) as conn:
        tree = json.loads(conn.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0])
    if tree.get("error"):
        raise Invalid(f"SQL does not parse: {tree.get('error_message', 'error')}")
    for kind_, name in _refs(tree, []):
        if kind_ == "function" and name.lower() not in TABLE_FUNCTIONS:
            raise Invalid(f"Table function '{name}' is not allowed; query the views")
        if kind_ == "table" and not _NAME.fullmatch(name):
            raise Invalid(f"'{name}' is not a view; files cannot be read from SQL")
    return sql


def run_sql(
    sql: str, views: dict[str, Path], *, max_rows: int = 1000, timeout_seconds: float = 10.0
) -> SqlResult:
    """Run one SELECT over `views` ({view name: Parquet file}) under the locked configuration."""
    check_select(sql)
    started = time.perf_counter()
    conn = duckdb.connect(":memory:", config=dict(_CONFIG))
    timer = threading.Timer(timeout_seconds, conn.interrupt)
    try:
        paths = [str(p) for p in views.values()]
        conn.execute("SET allowed_paths = ?", [paths])
        conn.execute("SET enable_external_access = false")
        for name, path in views.items():
            if not _NAME.fullmatch(name):
                raise Invalid(f"Invalid view name '{name}'")
            literal = str(path).replace("'", "''")
            hidden = [f'"{c}"' for c in pq.read_schema(path).names if c.startswith("_")]
            columns = f"* EXCLUDE ({', '.join(hidden)})" if hidden else "*"
            source = f"read_parquet('{literal}', hive_partitioning=false)"
            conn.execute(f"CREATE VIEW {name} AS SELECT {columns} FROM {source}")
        conn.execute("SET lock_configuration = true")
        timer.start()
        try:
            table = conn.sql(sql).limit(max_rows + 1).to_arrow_table()
        except duckdb.InterruptException as e:
            raise Invalid(f"Query stopped after the {timeout_seconds:g} s statement timeout") from e
        except duckdb.Error as e:
            raise Invalid(f"SQL error: {str(e).splitlines()[0]}") from e
    finally:
        timer.cancel()
        conn.close()
    truncated = table.num_rows > max_rows
    table = table.slice(0, max_rows)
    return SqlResult(
        columns=[{"name": f.name, "type": str(f.type)} for f in table.schema],
        rows=rows_of(table),
        row_count=table.num_rows,
        truncated=truncated,
        query_time_ms=round((time.perf_counter() - started) * 1000, 2),
    )
