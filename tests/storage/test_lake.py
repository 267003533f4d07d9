"""The lake's storage layer: safe paths, atomic writes, the generator, filters and the SQL sandbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from frontdesk.errors import Invalid, NotFound
from frontdesk.storage.lake.filters import Filters
from frontdesk.storage.lake.generate import generate
from frontdesk.storage.lake.query import export_batches, query_page
from frontdesk.storage.lake.sandbox import check_select, run_sql
from frontdesk.storage.lake.schema import fields_of, records_to_table
from frontdesk.storage.lake.store import Lake

ACC, OTHER, CONN = "account:aaa", "account:bbb", "conn:c1"
ANCHOR = date(2026, 3, 31)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


@pytest.fixture
def contacts(lake: Lake) -> tuple[Path, dict[str, str]]:
    written = lake.write(ACC, CONN, "contacts", generate(400, anchor=ANCHOR)["contacts"])
    return written.path, {f["name"]: f["type"] for f in fields_of(written.schema)}


def test_paths_stay_inside_the_account(lake: Lake) -> None:
    path = lake.path(ACC, CONN, "contacts")
    assert path == lake.root / "account-aaa" / "conn-c1" / "contacts.parquet"
    for bad in ("../contacts", "contacts/../../x", "Contacts", "", "a" * 80, "x.parquet"):
        with pytest.raises(Invalid):
            lake.path(ACC, CONN, bad)
    for bad_id in ("../account-bbb", "account:../bbb", "account:a/b", "/etc"):
        with pytest.raises(Invalid):
            lake.path(bad_id, CONN, "contacts")
    lake.write(OTHER, CONN, "contacts", pa.table({"id": ["x"]}))
    with pytest.raises(NotFound):  # a catalog path naming another account's file
        lake.resolve(ACC, "account-bbb/conn-c1/contacts.parquet")
    with pytest.raises(NotFound):
        lake.resolve(ACC, "account-aaa/../account-bbb/conn-c1/contacts.parquet")
    assert lake.files(ACC, "contacts") == []


def test_write_is_atomic_and_replaces(lake: Lake) -> None:
    first = lake.write(ACC, CONN, "tags", records_to_table("tags", [{"id": "tag:1", "name": "VIP"}]))
    second = lake.write(ACC, CONN, "tags", records_to_table("tags", [{"id": f"tag:{i}"} for i in range(5)]))
    assert first.path == second.path and second.record_count == 5
    assert pq.read_table(second.path).num_rows == 5
    assert [p.name for p in second.path.parent.iterdir()] == ["tags.parquet"]  # no temp files left


def test_write_failure_keeps_the_old_file(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    lake.write(ACC, CONN, "tags", records_to_table("tags", [{"id": "tag:1", "name": "VIP"}]))

    def crash(_table: pa.Table, where: Path, **_: object) -> None:
        Path(where).write_bytes(b"half a parquet file")
        raise OSError("disk full")

    monkeypatch.setattr("frontdesk.storage.lake.store.pq.write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        lake.write(ACC, CONN, "tags", records_to_table("tags", [{"id": "tag:2", "name": "new"}]))
    monkeypatch.undo()
    assert pq.read_table(lake.path(ACC, CONN, "tags")).column("name").to_pylist() == ["VIP"]
    assert [p.name for p in lake.path(ACC, CONN, "tags").parent.iterdir()] == ["tags.parquet"]


def test_records_to_table_types_known_fields_and_keeps_extras() -> None:
    t = records_to_table(
        "leads", [{"id": "lead:1", "value": 10, "created_at": "2026-01-02T03:04:05Z", "dealStage": "won"}]
    )
    types = {f["name"]: f["type"] for f in fields_of(t.schema)}
    assert types["created_at"] == "timestamp" and types["value"] == "number"
    assert types["dealStage"] == "string"
    with pytest.raises(Invalid, match=r"leads\.created_at"):
        records_to_table("leads", [{"id": "lead:2", "created_at": "not a date"}])


def test_generator_is_deterministic_and_consistent() -> None:
    a, b = generate(2000, seed=7, anchor=ANCHOR), generate(2000, seed=7, anchor=ANCHOR)
    assert all(a[k].equals(b[k]) for k in a)
    assert not generate(2000, seed=8, anchor=ANCHOR)["contacts"]["id"].equals(a["contacts"]["id"])
    contacts, leads = a["contacts"], a["leads"]
    assert contacts.num_rows == 2000 and 1000 < leads.num_rows < 1400
    assert set(leads["contact_id"].to_pylist()) <= set(contacts["id"].to_pylist())
    assert len(set(contacts["id"].to_pylist())) == 2000
    assert contacts["id"][0].as_py().startswith("contact:") and len(contacts["id"][0].as_py()) == 44
    assert max(contacts["created_at"].to_pylist()).date() <= ANCHOR
    tags = dict(zip(a["tags"]["name"].to_pylist(), a["tags"]["contact_count"].to_pylist(), strict=True))
    assert tags["VIP"] == sum("VIP" in t for t in contacts["tags"].to_pylist())
    assert set(a["ad_daily_metrics"]["platform"].to_pylist()) == {"google_ads", "meta_ads"}


def test_filters_compile_and_refuse_unknown_names(contacts: tuple[Path, dict[str, str]]) -> None:
    path, types = contacts
    page = query_page(path, types, Filters(tags=["vip"], equals={"status": "ACTIVE"}), limit=5)
    assert page.total > 0 and len(page.results) == 5 and page.has_more
    assert all("VIP" in r["tags"] and r["status"] == "active" for r in page.results)
    assert "_tags" not in page.results[0]  # the lake's hidden column stays hidden
    with pytest.raises(Invalid, match="Unknown field 'nope'"):
        query_page(path, types, Filters(equals={"nope": 1}))
    with pytest.raises(Invalid, match="Unknown field '_tags'"):
        query_page(path, types, Filters(equals={"_tags": "x"}))
    with pytest.raises(Invalid, match="Unknown field 'x\"; DROP'"):
        query_page(path, types, Filters(), sort=['x"; DROP'])
    with pytest.raises(Invalid, match="is a number"):
        query_page(path, types, Filters(ranges={"lifetime_value": {"gt": "lots"}}))
    with pytest.raises(Invalid, match="not a date"):
        query_page(path, types, Filters(date_field="email", date_from=ANCHOR))


def test_ranges_dates_in_search_and_sort(contacts: tuple[Path, dict[str, str]]) -> None:
    path, types = contacts
    f = Filters(
        date_from=date(2026, 3, 1),
        date_to=date(2026, 3, 31),
        in_={"source": ["Referral", "social"]},
        ranges={"lifetime_value": {"gte": 0}},
    )
    page = query_page(path, types, f, sort=["created_at"], limit=1000)
    assert page.total == len(page.results) > 0
    days = [r["created_at"][:10] for r in page.results]
    assert days == sorted(days) and days[0] >= "2026-03-01" and days[-1] <= "2026-03-31"
    assert {r["source"] for r in page.results} <= {"referral", "social"}
    name = page.results[0]["first_name"] + " " + page.results[0]["last_name"]
    found = query_page(path, types, Filters(search=name.upper()), limit=1000)
    assert any(r["id"] == page.results[0]["id"] for r in found.results)
    second = query_page(path, types, Filters(), limit=10, offset=10)
    first = query_page(path, types, Filters(), limit=20)
    assert [r["id"] for r in first.results[10:]] == [r["id"] for r in second.results]


def test_export_batches_cap_rows(contacts: tuple[Path, dict[str, str]]) -> None:
    path, types = contacts
    batches = list(export_batches(path, types, Filters(), sort=None, max_rows=250, batch_rows=100))
    assert sum(b.num_rows for b in batches) == 250


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_parquet('{other}')",
        "SELECT * FROM '{other}'",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('{root}/*')",
        "SELECT (SELECT count(*) FROM read_text('{other}'))",
        "WITH x AS (SELECT * FROM parquet_metadata('{other}')) SELECT * FROM x",
        'SELECT * FROM contacts, "{other}"',
    ],
)
def test_sandbox_refuses_files(
    lake: Lake, contacts: tuple[Path, dict[str, str]], sql: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = lake.write(OTHER, CONN, "contacts", generate(10, anchor=ANCHOR)["contacts"]).path
    query = sql.format(other=other, root=lake.root)
    with pytest.raises(Invalid, match=r"not allowed|not a view"):
        run_sql(query, {"contacts": contacts[0]})
    # the second wall alone: with the parse check bypassed, DuckDB still refuses every other file
    monkeypatch.setattr("frontdesk.storage.lake.sandbox.check_select", lambda s: s)
    with pytest.raises(Invalid, match=r"disabled|Permission|does not exist"):
        run_sql(query, {"contacts": contacts[0]})


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("COPY (SELECT 1) TO '/tmp/x.csv'", "COPY"),
        ("ATTACH '/tmp/x.duckdb' AS x", "ATTACH"),
        ("INSTALL httpfs", "LOAD"),
        ("LOAD httpfs", "LOAD"),
        ("SET enable_external_access = true", "SET"),
        ("PRAGMA version", "PRAGMA"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("SELECT 1; SELECT 2", None),
        ("DROP VIEW contacts", "DROP"),
    ],
)
def test_sandbox_allows_only_one_select(sql: str, kind: str | None) -> None:
    with pytest.raises(Invalid) as e:
        check_select(sql)
    assert (kind or "exactly one") in e.value.detail


def test_sandbox_runs_selects_with_a_row_cap_and_a_timeout(contacts: tuple[Path, dict[str, str]]) -> None:
    views = {"contacts": contacts[0]}
    result = run_sql("SELECT source, count(*) AS n FROM contacts GROUP BY source ORDER BY n DESC", views)
    assert sum(r["n"] for r in result.rows) == 400 and not result.truncated
    assert "_tags" not in {c["name"] for c in run_sql("SELECT * FROM contacts", views, max_rows=1).columns}
    capped = run_sql("SELECT id FROM contacts", views, max_rows=7)
    assert capped.row_count == 7 and capped.truncated
    with pytest.raises(Invalid, match="timeout"):
        run_sql("SELECT count(*) FROM range(100000000000) a", views, timeout_seconds=0.3)
    with pytest.raises(Invalid, match="SQL error"):
        run_sql("SELECT * FROM leads", views)
