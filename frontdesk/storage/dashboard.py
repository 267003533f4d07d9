"""The dashboard's figures in one statement: lead pipeline and sources, this month's and the
comparison window's leads and revenue, and the account's activity totals.

One `UNION ALL` read instead of ten statements (each a round trip through the driver, most of
the route's time on the 1M-message store):
- `record_months` (migration `0024_dashboard`) grouped by kind and keys: every conversation,
  contact and lead by month, so all-time and since-the-month-start counts read about a dozen rows
  per key (the pipeline by status, the sources, contacts and conversations);
- `bucket_totals` day rows: messages and tokens, all and since the month start;
- each lead window [start, end) as its whole days from the `record_rollups` lead rows plus the
  leads of its partial days at either edge (raw rows through `(account_id, created_at)`), so a
  window late in a month reads ~30 days of rollup rows, not every lead of the month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage.analytics import Window
from frontdesk.storage.models import Lead
from frontdesk.storage.rollups import bucket_key


@dataclass(slots=True)
class DashboardTotals:
    """What the dashboard shows, before rounding and shaping (`tools.analytics.dashboard_summary`)."""

    statuses: dict[str, tuple[int, float]] = field(default_factory=dict)  # status: (leads, value)
    sources: dict[str, int] = field(default_factory=dict)  # source: leads
    windows: list[tuple[int, float]] = field(default_factory=list)  # (leads, converted value)
    activity: dict[str, int] = field(default_factory=dict)


def _day_floor(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _day_ceil(at: datetime) -> datetime:
    floor = _day_floor(at)
    return floor if floor == at else floor + timedelta(days=1)


def window_pieces(w: Window) -> tuple[tuple[str, str], list[tuple[datetime, datetime]]]:
    """((first day, end day) of the whole days, [raw (from, to) ranges]) that make up `w` exactly:
    whole UTC days read from the day rollups, the partial days at the edges from the leads."""
    first, last = _day_ceil(w.start), _day_floor(w.end)
    if first >= last:  # no whole day inside: all raw
        return ("", ""), [(w.start, w.end), (w.end, w.end)]
    return (bucket_key(first, "d"), bucket_key(last, "d")), [(w.start, first), (last, w.end)]


@lru_cache(maxsize=4)
def _statement(dialect: str) -> Any:
    """The one statement (per dialect: the integer and float casts of the UNION's columns).
    Rows: (source, k1, k2, n, n since the month start, value)."""
    big, real = ("BIGINT", "DOUBLE PRECISION") if dialect == "postgresql" else ("INTEGER", "REAL")

    def n(expr: str) -> str:
        return f"CAST(coalesce({expr}, 0) AS {big})"

    def v(expr: str) -> str:
        return f"CAST(coalesce({expr}, 0) AS {real})"

    since_n = "CASE WHEN record_months.month >= :month THEN record_months.n ELSE 0 END"
    parts = [
        f"SELECT record_months.kind, record_months.k1, record_months.k2, {n('sum(record_months.n)')}, "
        f"{n(f'sum({since_n})')}, {v('sum(record_months.value)')} FROM record_months "
        "WHERE record_months.account_id = :account "
        "GROUP BY record_months.kind, record_months.k1, record_months.k2",
        *(
            f"SELECT '{name}', '', '', {n(f'sum(bucket_totals.{name})')}, "
            f"{n(f'sum(CASE WHEN bucket_totals.bucket >= :day THEN bucket_totals.{name} ELSE 0 END)')}, "
            f"{v('0')} FROM bucket_totals "
            "WHERE bucket_totals.account_id = :account AND bucket_totals.grain = 'd'"
            for name in ("messages", "tokens")
        ),
    ]
    for w in ("w0", "w1"):
        converted = "CASE WHEN record_rollups.k2 = 'converted' THEN record_rollups.value ELSE 0 END"
        parts.append(
            f"SELECT '{w}', '', '', {n('sum(record_rollups.n)')}, {n('0')}, {v(f'sum({converted})')} "
            "FROM record_rollups WHERE record_rollups.account_id = :account "
            f"AND record_rollups.kind = 'lead' AND record_rollups.day >= :{w}da "
            f"AND record_rollups.day < :{w}db"
        )
        won = "CASE WHEN leads.status = 'converted' THEN leads.value ELSE 0 END"
        parts += [
            f"SELECT '{w}', '', '', {n('count(*)')}, {n('0')}, {v(f'sum({won})')} FROM leads "
            f"WHERE leads.account_id = :account AND leads.created_at >= :{w}r{i}a "
            f"AND leads.created_at < :{w}r{i}b"
            for i in (0, 1)
        ]
    stamp = Lead.__table__.c.created_at.type
    names = [f"{w}r{i}{e}" for w in ("w0", "w1") for i in (0, 1) for e in "ab"]
    return text(" UNION ALL ".join(parts)).bindparams(*(bindparam(k, type_=stamp) for k in names))


async def dashboard_totals(
    session: AsyncSession, account_id: str, this: Window, last: Window
) -> DashboardTotals:
    """The figures of the account's dashboard; `this.start` must start a UTC month (the month-to-
    date window), `last` is the comparison window."""
    start = this.start.astimezone(UTC)
    if start != start.replace(day=1, hour=0, minute=0, second=0, microsecond=0):
        raise ValueError("the dashboard's window starts a UTC month")
    params: dict[str, Any] = {
        "account": account_id,
        "month": bucket_key(start, "m"),
        "day": bucket_key(start, "d"),
    }
    for w, window in (("w0", this), ("w1", last)):
        (da, db), raw = window_pieces(window)
        params |= {f"{w}da": da, f"{w}db": db}
        for i, (a, b) in enumerate(raw):
            params |= {f"{w}r{i}a": a, f"{w}r{i}b": b}
    rows = (await session.execute(_statement(session.get_bind().dialect.name), params)).all()
    out = DashboardTotals()
    windows = {"w0": [0, 0.0], "w1": [0, 0.0]}
    kinds: dict[str, list[int]] = {"contact": [0, 0], "conversation": [0, 0]}
    for source, k1, k2, n, n_since, value in rows:
        if source in windows:
            windows[source][0] += int(n)
            windows[source][1] += float(value)
        elif source in ("messages", "tokens"):
            out.activity[f"total{source.title()}"] = int(n)
            out.activity[f"{source}ThisMonth"] = int(n_since)
        elif source == "lead" and n > 0:
            count, total = out.statuses.get(k2, (0, 0.0))
            out.statuses[k2] = (count + int(n), total + float(value))
            out.sources[k1] = out.sources.get(k1, 0) + int(n)
        elif source in kinds:
            kinds[source][0] += int(n)
            kinds[source][1] += int(n_since)
    out.windows = [(int(n), float(v)) for n, v in windows.values()]
    out.sources = dict(sorted(out.sources.items(), key=lambda kv: (-kv[1], kv[0])))
    out.activity = {
        "totalContacts": kinds["contact"][0],
        "contactsThisMonth": kinds["contact"][1],
        "totalConversations": kinds["conversation"][0],
        "conversationsThisMonth": kinds["conversation"][1],
        "totalMessages": out.activity.get("totalMessages", 0),
        "messagesThisMonth": out.activity.get("messagesThisMonth", 0),
        "totalTokens": out.activity.get("totalTokens", 0),
        "tokensThisMonth": out.activity.get("tokensThisMonth", 0),
    }
    return out
