"""The rollup counts of a bulk load, summed in Python while its rows are generated, and added to
the rollup tables in a few set-wise statements at the end of the load.

A bulk load (`frontdesk.storage.bulk_demo`) drops the per-row rollup triggers; this is what they
would have added for the same rows, key for key (see `frontdesk.storage.rollup_triggers`): messages
by month, day and hour, channel, role and department (`message_rollups`), which conversations were
active in each day and hour (`conversation_buckets`), each day's and hour's messages, tokens,
replies and distinct conversations (`bucket_totals`), records created per day (`record_rollups`)
and per month (`record_months`). Every loaded conversation is new, so each of its (bucket, ...)
presences counts once, and it counts once in each of its buckets' totals. Counts are added with the
triggers' upsert (`ON CONFLICT DO UPDATE SET n = n + excluded.n`), so a load on top of existing
rows adds to them instead of recounting the tables; `tests/storage/test_bulk_demo.py` checks the
result equals a recount.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.storage.rollup_triggers import MESSAGE_KEY, MONTH_KEY, PRESENCE_KEY, RECORD_KEY, TOTALS_KEY


@dataclass(slots=True)
class LoadCounts:
    """Counters keyed as the rollup tables are, without the account (one account per load)."""

    messages: defaultdict[tuple[str, ...], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0])
    )
    presence: Counter[tuple[str, ...]] = field(default_factory=Counter)
    totals: defaultdict[tuple[str, str], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0])
    )
    records: defaultdict[tuple[str, ...], list[float]] = field(
        default_factory=lambda: defaultdict(lambda: [0, 0.0])
    )

    def conversation(
        self,
        conv_id: str,
        channel: str,
        department: str,
        day: str,
        per: dict[tuple[str, str, str], list[int]],
    ) -> None:
        """Add one new conversation and its messages, `per` {(day, hour, role): [messages, tokens,
        replies]}."""
        self.records["conversation", day, channel, department][0] += 1
        buckets = set()
        for (d, h, role), (n, tokens, replies) in per.items():
            for grain, b in (("m", d[:7]), ("d", d), ("h", h)):
                acc = self.messages[grain, b, channel, role, department]
                acc[0] += n
                acc[1] += tokens
                acc[2] += replies
                if grain == "m":
                    continue
                self.presence[grain, b, conv_id, channel, role, department] += n
                total = self.totals[grain, b]
                total[0] += n
                total[1] += tokens
                total[2] += replies
                buckets.add((grain, b))
        for key in buckets:
            self.totals[key][3] += 1

    def record(self, kind: str, day: str, k1: str = "", k2: str = "", value: float = 0.0) -> None:
        acc = self.records[kind, day, k1, k2]
        acc[0] += 1
        acc[1] += value

    def tables(self, account_id: str) -> list[tuple[str, str, list[str], list[tuple[Any, ...]]]]:
        """(table, key columns, value columns, rows) for each rollup table with counts."""
        months: defaultdict[tuple[str, ...], list[float]] = defaultdict(lambda: [0, 0.0])
        for (kind, day, k1, k2), (n, value) in self.records.items():
            acc = months[kind, day[:7], k1, k2]
            acc[0] += n
            acc[1] += value
        out = [
            ("message_rollups", MESSAGE_KEY, ["messages", "tokens", "replies"],
             [(account_id, *k, *v) for k, v in self.messages.items()]),
            ("conversation_buckets", PRESENCE_KEY, ["messages"],
             [(account_id, *k, n) for k, n in self.presence.items()]),
            ("bucket_totals", TOTALS_KEY, ["messages", "tokens", "replies", "conversations"],
             [(account_id, *k, *v) for k, v in self.totals.items()]),
            ("record_rollups", RECORD_KEY, ["n", "value"],
             [(account_id, *k, int(v[0]), float(v[1])) for k, v in self.records.items()]),
            ("record_months", MONTH_KEY, ["n", "value"],
             [(account_id, *k, int(v[0]), float(v[1])) for k, v in months.items()]),
        ]  # fmt: skip
        return [t for t in out if t[3]]


async def add(conn: AsyncConnection, driver: Any, counts: LoadCounts, account_id: str) -> None:
    """Add `counts` to the rollup tables in the caller's transaction: an `executemany` upsert on
    SQLite, `COPY` into a temporary table and one `INSERT ... SELECT ... ON CONFLICT` on PostgreSQL."""
    sqlite = conn.dialect.name == "sqlite"
    for table, key, values, rows in counts.tables(account_id):
        columns = [c.strip() for c in key.split(",")] + values
        sets = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in values)
        conflict = f"ON CONFLICT ({key}) DO UPDATE SET {sets}"
        names = ", ".join(columns)
        if sqlite:
            marks = ", ".join("?" for _ in columns)
            await driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) {conflict}", rows)
            continue
        staging = f"load_{table}"
        await conn.execute(
            text(f"CREATE TEMPORARY TABLE {staging} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        )
        await driver.copy_records_to_table(staging, records=rows, columns=columns)
        await conn.execute(text(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} {conflict}"))
