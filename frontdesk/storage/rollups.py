"""Rollup tables: per-account counters that analytics and the dashboard read instead of raw rows.

- `message_rollups`: messages, tokens (in + out) and replies (messages with tokens) per UTC day
  (`grain` "d", bucket `YYYY-MM-DD`), hour ("h", `YYYY-MM-DDTHH`) and, since `0022_day_totals`,
  month ("m", `YYYY-MM`) by channel, role and department (`agent_used`, else the conversation's
  department, else "none"). A breakdown reads the coarsest grains that tile its span.
- `conversation_buckets`: which conversations had messages in each bucket (by the same three
  dimensions), so "distinct conversations per day" is a count over a few rows per conversation
  instead of over its messages.
- `record_rollups`: conversations (by channel and department), contacts, and leads (by source and
  status, with their summed value) created per UTC day.
- `bucket_totals` (migration `0022_day_totals`): per account and UTC day and hour, the messages,
  tokens, replies and distinct conversations whatever the channel, role and department, so an
  unfiltered daily or hourly series reads one row per bucket (filtered series still sum
  `message_rollups` and count `conversation_buckets`). It replaces 0018's `day_conversations`
  (the distinct conversations per day alone; `day_backfill_statement` rebuilds it on downgrade).
- `record_months` (migration `0024_dashboard`): the `record_rollups` counts by UTC month
  (`YYYY-MM`) instead of day, for the dashboard's all-time and month-to-date totals (about 600
  rows for a year of the 1M-message demo store instead of 11,700 day rows).
- `conversations.message_count`: the number of messages of each conversation.

The triggers of `rollup_triggers` keep all of them equal to a recount in the transaction of each
write; `backfill` recomputes them from the raw tables (migration `0014_scale`, bulk loads).
Rows whose counters fall to zero stay (readers filter `messages > 0` where it matters). The
record reads are here; the message reads (series, breakdowns over a span's `cover`, the
dashboard's totals) are in `frontdesk.storage.message_stats`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from frontdesk.storage.models import Base
from frontdesk.storage.rollup_triggers import GRAINS, bucket


class MessageRollup(Base):
    __tablename__ = "message_rollups"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(13), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    department: Mapped[str] = mapped_column(String(32), primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)


class ConversationBucket(Base):
    __tablename__ = "conversation_buckets"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(13), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    department: Mapped[str] = mapped_column(String(32), primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)


class RecordRollup(Base):
    __tablename__ = "record_rollups"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # conversation | contact | lead
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    k1: Mapped[str] = mapped_column(String(32), primary_key=True)  # channel | "" | source
    k2: Mapped[str] = mapped_column(String(32), primary_key=True)  # department | "" | status
    n: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[float] = mapped_column(Float, default=0.0)


class RecordMonth(Base):
    __tablename__ = "record_months"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    k1: Mapped[str] = mapped_column(String(32), primary_key=True)
    k2: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    value: Mapped[float] = mapped_column(Float, default=0.0)


class BucketTotals(Base):
    __tablename__ = "bucket_totals"
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(13), primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)
    conversations: Mapped[int] = mapped_column(Integer, default=0)


def totals_backfill_statements(dialect: str) -> list[str]:
    """INSERT ... SELECT statements filling `bucket_totals` (a recount of `messages`) and the
    month grain of `message_rollups` (from its day rows), both empty; migration 0022 and
    `rebuild`."""
    d = "sqlite" if dialect == "sqlite" else "postgresql"
    tokens = "(m.tokens_in + m.tokens_out)"
    return [
        "INSERT INTO bucket_totals (account_id, grain, bucket, messages, tokens, replies, conversations) "
        f"SELECT m.account_id, g.grain, {bucket(d, 'm.created_at')}, count(*), sum({tokens}), "
        f"sum(CASE WHEN {tokens} > 0 THEN 1 ELSE 0 END), count(DISTINCT m.conversation_id) "
        f"FROM messages m, {GRAINS[d]} GROUP BY m.account_id, g.grain, 3",
        "INSERT INTO message_rollups (account_id, grain, bucket, channel, role, department, messages, "
        "tokens, replies) SELECT account_id, 'm', substr(bucket, 1, 7), channel, role, department, "
        "sum(messages), sum(tokens), sum(replies) FROM message_rollups WHERE grain = 'd' "
        "GROUP BY account_id, substr(bucket, 1, 7), channel, role, department",
    ]


MONTHS_BACKFILL = (
    "INSERT INTO record_months (account_id, kind, month, k1, k2, n, value) "
    "SELECT account_id, kind, substr(day, 1, 7), k1, k2, sum(n), sum(value) FROM record_rollups "
    "GROUP BY account_id, kind, substr(day, 1, 7), k1, k2"
)  # `record_months` (empty) from the day rows of `record_rollups`: migration 0024 and `rebuild`


def day_backfill_statement(dialect: str) -> str:
    """INSERT ... SELECT filling an empty `day_conversations` from `messages` (a recount): 0018's
    upgrade, 0022's downgrade."""
    d = "sqlite" if dialect == "sqlite" else "postgresql"
    day = bucket(d, "created_at", "'%Y-%m-%d'" if d == "sqlite" else "'YYYY-MM-DD'")
    return (
        "INSERT INTO day_conversations (account_id, day, conversations) "
        f"SELECT account_id, {day}, count(DISTINCT conversation_id) FROM messages GROUP BY account_id, 2"
    )


def backfill_statements(dialect: str, where: str = "1 = 1") -> list[str]:
    """INSERT ... SELECT statements adding the rows of `messages` (filtered by `where` over `m`),
    and every conversation, contact and lead, to empty rollups, as migration 0014 knew them (no
    month grain: `totals_backfill_statements` adds it)."""
    d = "sqlite" if dialect == "sqlite" else "postgresql"
    grains = GRAINS[d]
    day = "'%Y-%m-%d'" if d == "sqlite" else "'YYYY-MM-DD'"
    tokens = "(m.tokens_in + m.tokens_out)"
    dept = "coalesce(m.agent_used, c.department, 'none')"
    source = f"FROM messages m JOIN conversations c ON c.id = m.conversation_id, {grains} WHERE {where}"
    b = bucket(d, "m.created_at")
    return [
        "INSERT INTO message_rollups (account_id, grain, bucket, channel, role, department, "
        f"messages, tokens, replies) SELECT m.account_id, g.grain, {b}, m.channel, m.role, {dept}, "
        f"count(*), sum({tokens}), sum(CASE WHEN {tokens} > 0 THEN 1 ELSE 0 END) {source} "
        "GROUP BY m.account_id, g.grain, 3, m.channel, m.role, 6",
        "INSERT INTO conversation_buckets (account_id, grain, bucket, conversation_id, channel, role, "
        f"department, messages) SELECT m.account_id, g.grain, {b}, m.conversation_id, m.channel, m.role, "
        f"{dept}, count(*) {source} "
        "GROUP BY m.account_id, g.grain, 3, m.conversation_id, m.channel, m.role, 7",
        "UPDATE conversations SET message_count = (SELECT count(*) FROM messages m "
        "WHERE m.conversation_id = conversations.id)",
        "INSERT INTO record_rollups (account_id, kind, day, k1, k2, n, value) SELECT account_id, "
        f"'conversation', {bucket(d, 'created_at', day)}, channel, coalesce(department, 'none'), count(*), 0 "
        "FROM conversations GROUP BY account_id, 3, channel, 5",
        "INSERT INTO record_rollups (account_id, kind, day, k1, k2, n, value) SELECT account_id, "
        f"'contact', {bucket(d, 'created_at', day)}, '', '', count(*), 0 "
        "FROM contacts GROUP BY account_id, 3",
        "INSERT INTO record_rollups (account_id, kind, day, k1, k2, n, value) SELECT account_id, "
        f"'lead', {bucket(d, 'created_at', day)}, source, status, count(*), sum(value) "
        "FROM leads GROUP BY account_id, 3, source, status",
    ]


async def rebuild(conn: AsyncConnection) -> None:
    """Empty and recompute every rollup from the raw tables (in the caller's transaction)."""
    for table in (
        "message_rollups",
        "conversation_buckets",
        "record_rollups",
        "bucket_totals",
        "record_months",
    ):
        await conn.execute(text(f"DELETE FROM {table}"))
    dialect = conn.dialect.name
    for statement in [*backfill_statements(dialect), *totals_backfill_statements(dialect), MONTHS_BACKFILL]:
        await conn.execute(text(statement))


# --- reads (of the record rollups; the message reads: `message_stats`) ----------------------

MESSAGE_VALUES = {"messages_sent": MessageRollup.messages, "tokens_used": MessageRollup.tokens}
RECORD_KINDS = {
    "contacts_created": ("contact", {}),
    "leads_created": ("lead", {"source": "k1", "status": "k2"}),
}
_KEY_FORMATS = {"m": "%Y-%m", "d": "%Y-%m-%d", "h": "%Y-%m-%dT%H"}


def bucket_key(at: datetime, grain: str) -> str:
    return at.astimezone(UTC).strftime(_KEY_FORMATS[grain])


def aligned(at: datetime, grain: str) -> bool:
    """Whether `at` starts a UTC day (grain "d") or hour ("h"): rollups answer whole buckets only."""
    at = at.astimezone(UTC)
    return at.minute == at.second == at.microsecond == 0 and (grain == "h" or at.hour == 0)


def _record_where(
    metric: str, account_id: str, span: tuple[datetime, datetime], filters: dict[str, str]
) -> list[Any]:
    kind, dims = RECORD_KINDS[metric]
    conds = [
        RecordRollup.account_id == account_id,
        RecordRollup.kind == kind,
        RecordRollup.day >= bucket_key(span[0], "d"),
        RecordRollup.day < bucket_key(span[1], "d"),
    ]
    return conds + [getattr(RecordRollup, dims[k]) == v for k, v in filters.items()]


async def record_series(
    session: AsyncSession,
    metric: str,
    account_id: str,
    span: tuple[datetime, datetime],
    filters: dict[str, str],
) -> dict[str, tuple[int, int | None]]:
    rows = await session.execute(
        select(RecordRollup.day, func.sum(RecordRollup.n))
        .where(*_record_where(metric, account_id, span, filters))
        .group_by(RecordRollup.day)
        .having(func.sum(RecordRollup.n) > 0)
    )
    return {d: (int(n), None) for d, n in rows.all()}


async def record_breakdown(
    session: AsyncSession,
    metric: str,
    account_id: str,
    span: tuple[datetime, datetime],
    filters: dict[str, str],
) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for name, key in RECORD_KINDS[metric][1].items():
        column = getattr(RecordRollup, key)
        rows = await session.execute(
            select(column, func.sum(RecordRollup.n))
            .where(*_record_where(metric, account_id, span, filters))
            .group_by(column)
            .having(func.sum(RecordRollup.n) > 0)
            .order_by(column)
        )
        out[name] = {str(k): int(n) for k, n in rows.all()}
    return out


async def record_totals(
    session: AsyncSession, account_id: str, kind: str, key: str, since: str | None = None
) -> dict[str, tuple[int, float]]:
    """{k1 or k2: (n, value)} of one record kind over every day (or days >= `since`)."""
    column = getattr(RecordRollup, key)
    conds = [RecordRollup.account_id == account_id, RecordRollup.kind == kind]
    if since is not None:
        conds.append(RecordRollup.day >= since)
    rows = await session.execute(
        select(column, func.sum(RecordRollup.n), func.sum(RecordRollup.value))
        .where(*conds)
        .group_by(column)
        .having(func.sum(RecordRollup.n) > 0)
    )
    return {str(k): (int(n), float(v or 0.0)) for k, n, v in rows.all()}
