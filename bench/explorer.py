"""Data explorer benchmark: DuckDB over the lake vs pandas and SQLite on the same rows.

    .venv/bin/python bench/explorer.py [--contacts 1000000] [--runs 15] [--no-write]

Generates the contacts with the demo generator (`frontdesk demo`'s), writes them to a lake, then
measures the p50 of three queries through the explorer's own code paths:
(a) tag filter + count        — `query_page` with `tags=["VIP"]` (count + first row);
(b) date-range page of 100    — `query_page` with a 30-day `created_at` window, newest first,
                                total included;
(c) group-by source with sums — `run_sql` (the analysts' sandbox) over the contacts view.
The same answers are computed with pandas (reading the Parquet file each run, and once more on a
frame already in memory) and with SQLite (the same rows in a file, tags in a `contact_tags`
table, indexes on created_at and (tag, contact_id)). Results go under "## Explorer" in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from frontdesk.storage.lake.filters import Filters
from frontdesk.storage.lake.generate import generate
from frontdesk.storage.lake.query import query_page
from frontdesk.storage.lake.sandbox import run_sql
from frontdesk.storage.lake.schema import fields_of
from frontdesk.storage.lake.store import Lake

ANCHOR = date(2026, 11, 23)
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
GROUP_SQL = "SELECT source, count(*) AS n, sum(lifetime_value) AS value FROM contacts GROUP BY source"


def p50(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    result = fn()  # warm-up (and the answer to compare)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def sqlite_db(path: Path, contacts: pa.Table) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE contacts (id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, email TEXT, "
        "company TEXT, status TEXT, source TEXT, lifetime_value REAL, created_at TEXT)"
    )
    db.execute("CREATE TABLE contact_tags (contact_id TEXT, tag TEXT)")
    cols = ["id", "first_name", "last_name", "email", "company", "status", "source", "lifetime_value"]
    created = pc.strftime(contacts["created_at"], format="%Y-%m-%dT%H:%M:%S")
    rows = zip(*(contacts[c].to_pylist() for c in cols), created.to_pylist(), strict=True)
    db.executemany("INSERT INTO contacts VALUES (?,?,?,?,?,?,?,?,?)", rows)
    flat = pc.list_flatten(contacts["tags"])
    parents = pc.list_parent_indices(contacts["tags"])
    ids = pc.take(contacts["id"], parents)
    db.executemany(
        "INSERT INTO contact_tags VALUES (?,?)", zip(ids.to_pylist(), flat.to_pylist(), strict=True)
    )
    db.execute("CREATE INDEX ix_created ON contacts (created_at)")
    db.execute("CREATE INDEX ix_tag ON contact_tags (tag, contact_id)")
    db.commit()
    return db


def run(contacts_n: int, runs: int) -> dict[str, dict[str, float]]:
    tmp = Path(tempfile.mkdtemp(prefix="frontdesk-bench-"))
    started = time.perf_counter()
    contacts = generate(contacts_n, anchor=ANCHOR)["contacts"]
    written = Lake(tmp / "lake").write("account:bench", "conn:bench", "contacts", contacts)
    print(f"generated + wrote {contacts_n:,} contacts in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    sq = sqlite_db(tmp / "bench.db", contacts)
    print(f"loaded SQLite in {time.perf_counter() - started:.1f} s")
    path, types = written.path, {f["name"]: f["type"] for f in fields_of(written.schema)}
    frame = pd.read_parquet(path)
    start, end = ANCHOR - timedelta(days=29), ANCHOR
    lo, hi = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end + timedelta(days=1), tz="UTC")
    lo_s, hi_s = start.isoformat(), (end + timedelta(days=1)).isoformat()

    def pd_tag(df: pd.DataFrame) -> int:
        tags = df["tags"].explode()  # one row per (contact, tag), the index repeating the contact
        return int(tags[tags == "VIP"].index.nunique())

    def pd_page(df: pd.DataFrame) -> tuple[int, list[str]]:
        hit = df[(df["created_at"] >= lo) & (df["created_at"] < hi)]
        return len(hit), list(hit.nlargest(100, "created_at")["id"])

    def pd_group(df: pd.DataFrame) -> dict[str, tuple[int, float]]:
        g = df.groupby("source").agg(n=("id", "size"), value=("lifetime_value", "sum"))
        return {k: (int(r.n), float(r.value)) for k, r in g.iterrows()}

    cases: dict[str, dict[str, Callable[[], Any]]] = {
        "(a) tag filter + count": {
            "duckdb": lambda: query_page(path, types, Filters(tags=["VIP"]), limit=1).total,
            "pandas": lambda: pd_tag(pd.read_parquet(path, columns=["tags"])),
            "pandas_mem": lambda: pd_tag(frame),
            "sqlite": lambda: sq.execute(
                "SELECT count(*) FROM contacts c WHERE EXISTS "
                "(SELECT 1 FROM contact_tags t WHERE t.tag = 'VIP' AND t.contact_id = c.id)"
            ).fetchone()[0],
        },
        "(b) date range, page of 100": {
            "duckdb": lambda: (
                query_page(
                    path, types, Filters(date_from=start, date_to=end), sort=["-created_at"], limit=100
                ).total
            ),
            "pandas": lambda: pd_page(pd.read_parquet(path))[0],
            "pandas_mem": lambda: pd_page(frame)[0],
            "sqlite": lambda: (
                sq.execute(
                    "SELECT count(*) FROM contacts WHERE created_at >= ? AND created_at < ?", (lo_s, hi_s)
                ).fetchone()[0],
                sq.execute(
                    "SELECT * FROM contacts WHERE created_at >= ? AND created_at < ? "
                    "ORDER BY created_at DESC LIMIT 100",
                    (lo_s, hi_s),
                ).fetchall(),
            )[0],
        },
        "(c) group by source, sums": {
            "duckdb": lambda: {r["source"]: r["n"] for r in run_sql(GROUP_SQL, {"contacts": path}).rows},
            "pandas": lambda: {
                k: v[0]
                for k, v in pd_group(
                    pd.read_parquet(path, columns=["id", "source", "lifetime_value"])
                ).items()
            },
            "pandas_mem": lambda: {k: v[0] for k, v in pd_group(frame).items()},
            "sqlite": lambda: dict(
                sq.execute("SELECT source, count(*) FROM contacts GROUP BY source").fetchall()
            ),
        },
    }
    results: dict[str, dict[str, float]] = {}
    for name, engines in cases.items():
        answers = {}
        results[name] = {}
        for engine, fn in engines.items():
            results[name][engine], answers[engine] = p50(fn, runs)
        if len({repr(sorted(a.items()) if isinstance(a, dict) else a) for a in answers.values()}) != 1:
            raise SystemExit(f"{name}: engines disagree: {answers}")
        print(f"{name}: " + "  ".join(f"{e} {ms:.1f} ms" for e, ms in results[name].items()))
    sq.close()
    return results


def markdown(results: dict[str, dict[str, float]], contacts_n: int, runs: int) -> str:
    lines = [
        "## Explorer",
        "",
        f"`bench/explorer.py --contacts {contacts_n} --runs {runs}`: {contacts_n:,} generated contacts "
        "in one Parquet file (zstd); p50 of "
        f"{runs} runs after a warm-up, on this machine (2 cores). DuckDB runs through the explorer's own "
        "code (`query_page`, the `run_sql` sandbox), opening the file on every query. pandas reads the "
        "Parquet file on every run (the needed columns) and, in `pandas (mem)`, works on a frame already "
        "loaded. SQLite holds the same rows in a file with indexes on `created_at` and `(tag, contact_id)`. "
        "Every engine's answer is checked equal before timing counts. Ratio = other engine's p50 / DuckDB's "
        "(above 1: DuckDB is faster). Absolute times move with the load on the machine; the ratios "
        "within one run are the comparison.",
        "",
        "| query | DuckDB ms | pandas ms | pandas (mem) ms | SQLite ms | pandas / DuckDB | "
        "pandas (mem) / DuckDB | SQLite / DuckDB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        d = r["duckdb"]
        lines.append(
            f"| {name} | {d:.1f} | {r['pandas']:.1f} | {r['pandas_mem']:.1f} | {r['sqlite']:.1f} | "
            f"{r['pandas'] / d:.1f}x | {r['pandas_mem'] / d:.1f}x | {r['sqlite'] / d:.1f}x |"
        )
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    """Replace (or add) the "## Explorer" section — up to the next "## " heading or HTML comment
    marker of another section — leaving every other section as it is."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    start = text.find("## Explorer")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        ends = [i for i in (text.find("\n## ", start + 1), text.find("\n<!--", start + 1)) if i != -1]
        rest = text[min(ends) + 1 :] if ends else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    args = parser.parse_args()
    results = run(args.contacts, args.runs)
    section = markdown(results, args.contacts, args.runs)
    print(section)
    if not args.no_write:
        write_section(section)
        print(f"wrote the Explorer section of {DOC}")


if __name__ == "__main__":
    main()
