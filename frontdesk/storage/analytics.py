"""Aggregates over the conversation store and the CRM: time series, breakdowns, the dashboard.

Every query is filtered by account. Buckets are UTC days (`YYYY-MM-DD`) or hours
(`YYYY-MM-DDTHH`). `series` and `breakdown` read the rollup tables (`frontdesk.storage.rollups`,
kept by triggers) whenever the span is whole buckets: messages and tokens by day and hour
(unfiltered series from the per-bucket totals, breakdowns from months, days and hours), contacts
and leads by day. The rest (conversations_started, whose count is distinct users;
hourly contacts and leads; spans that are not whole buckets) groups the raw rows through their
`(account_id, created_at)` indexes: `raw_series` / `raw_breakdown`, which are also the naive
baseline `bench/store_scale.py` compares against. `series_and_breakdown` is what the daily and
hourly routes call: for an unfiltered message metric both in one statement (one round trip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.storage import message_stats, rollups
from frontdesk.storage.models import Contact, Conversation, Lead, Message

Grain = Literal["day", "hour"]
_FORMATS = {
    ("sqlite", "day"): "%Y-%m-%d",
    ("sqlite", "hour"): "%Y-%m-%dT%H",
    ("postgresql", "day"): "YYYY-MM-DD",
    ("postgresql", "hour"): 'YYYY-MM-DD"T"HH24',
}
_DEPARTMENT = func.coalesce(Message.agent_used, Conversation.department, literal("none"))
_TOKENS = Message.tokens_in + Message.tokens_out


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric of the catalog: what `total` sums, what `count` counts, how it can be sliced."""

    id: str
    label: str
    description: str
    count_of: str | None  # what the per-bucket `count` counts; None: no count/average
    table: Any
    time_column: Any
    value: Any
    count: Any | None
    dimensions: dict[str, Any] = field(default_factory=dict)
    joins_conversation: bool = False
    type: str = "counter"


METRICS: dict[str, Metric] = {
    m.id: m
    for m in (
        Metric(
            "messages_sent",
            "Messages",
            "Messages stored in conversations (users, agents and tools); count = conversations",
            "conversations",
            Message,
            Message.created_at,
            func.count(Message.id),
            func.count(distinct(Message.conversation_id)),
            {"channel": Message.channel, "role": Message.role, "department": _DEPARTMENT},
            joins_conversation=True,
        ),
        Metric(
            "tokens_used",
            "Tokens used",
            "Model tokens (in + out) of agent replies; count = replies that used tokens",
            "messages",
            Message,
            Message.created_at,
            func.coalesce(func.sum(_TOKENS), 0),
            func.coalesce(func.sum(case((_TOKENS > 0, 1), else_=0)), 0),
            {"channel": Message.channel, "role": Message.role, "department": _DEPARTMENT},
            joins_conversation=True,
        ),
        Metric(
            "conversations_started",
            "Conversations started",
            "New conversations; count = distinct users who started one",
            "users",
            Conversation,
            Conversation.created_at,
            func.count(Conversation.id),
            func.count(distinct(Conversation.user_id)),
            {"channel": Conversation.channel, "department": func.coalesce(Conversation.department, "none")},
        ),
        Metric(
            "contacts_created",
            "Contacts created",
            "New CRM contacts",
            None,
            Contact,
            Contact.created_at,
            func.count(Contact.id),
            None,
        ),
        Metric(
            "leads_created",
            "Leads created",
            "New CRM leads",
            None,
            Lead,
            Lead.created_at,
            func.count(Lead.id),
            None,
            {"source": Lead.source, "status": Lead.status},
        ),
    )
}


def _bucket(session: AsyncSession, column: Any, grain: Grain) -> Any:
    dialect = session.get_bind().dialect.name
    fmt = _FORMATS[("postgresql" if dialect == "postgresql" else "sqlite", grain)]
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), fmt)
    return func.strftime(fmt, column)


def _where(
    metric: Metric,
    stmt: Select[Any],
    account_id: str,
    start: datetime,
    end: datetime,
    filters: dict[str, str],
) -> Select[Any]:
    stmt = stmt.select_from(metric.table)
    if metric.joins_conversation:
        stmt = stmt.join(Conversation, Conversation.id == Message.conversation_id)
    stmt = stmt.where(
        metric.table.account_id == account_id, metric.time_column >= start, metric.time_column < end
    )
    for name, value in filters.items():
        stmt = stmt.where(metric.dimensions[name] == value)
    return stmt


def _rollup_grain(metric: Metric, start: datetime, end: datetime, grain: Grain | None) -> str | None:
    """The rollup grain ("d"/"h") that answers this query exactly, or None (raw rows). Without a
    `grain` (a breakdown) the coarsest one the span allows."""
    wanted = {"day": ["d"], "hour": ["h"], None: ["d", "h"]}[grain]
    for g in wanted:
        if not (rollups.aligned(start, g) and rollups.aligned(end, g)):
            continue
        if metric.id in rollups.MESSAGE_VALUES or (metric.id in rollups.RECORD_KINDS and g == "d"):
            return g
    return None


async def series(
    session: AsyncSession,
    metric: Metric,
    account_id: str,
    start: datetime,
    end: datetime,
    grain: Grain,
    filters: dict[str, str],
) -> dict[str, tuple[int, int | None]]:
    """{bucket: (total, count)} for the buckets with data in [start, end)."""
    g = _rollup_grain(metric, start, end, grain)
    if g is not None and metric.id in rollups.MESSAGE_VALUES:
        return await message_stats.message_series(session, metric.id, account_id, (start, end), g, filters)
    if g is not None:
        return await rollups.record_series(session, metric.id, account_id, (start, end), filters)
    return await raw_series(session, metric, account_id, start, end, grain, filters)


async def breakdown(
    session: AsyncSession,
    metric: Metric,
    account_id: str,
    start: datetime,
    end: datetime,
    filters: dict[str, str],
) -> dict[str, dict[str, int]]:
    """{dimension: {value: total}} over [start, end), for every dimension of the metric (message
    metrics from the month, day and hour rollups that tile a span of whole hours)."""
    g = _rollup_grain(metric, start, end, None)
    if g is not None and metric.id in rollups.MESSAGE_VALUES:
        return await message_stats.message_breakdown(session, metric.id, account_id, (start, end), filters)
    if g is not None:
        return await rollups.record_breakdown(session, metric.id, account_id, (start, end), filters)
    return await raw_breakdown(session, metric, account_id, start, end, filters)


async def series_and_breakdown(
    session: AsyncSession,
    metric: Metric,
    account_id: str,
    start: datetime,
    end: datetime,
    grain: Grain,
    filters: dict[str, str],
) -> tuple[dict[str, tuple[int, int | None]], dict[str, dict[str, int]]]:
    """`series` and `breakdown` together: one statement for an unfiltered message metric over
    whole buckets (the daily and hourly routes' usual case), else the two reads."""
    g = _rollup_grain(metric, start, end, grain)
    if g is not None and metric.id in rollups.MESSAGE_VALUES and not filters:
        return await message_stats.message_series_and_breakdown(
            session, metric.id, account_id, (start, end), g
        )
    found = await series(session, metric, account_id, start, end, grain, filters)
    return found, await breakdown(session, metric, account_id, start, end, filters)


async def raw_series(
    session: AsyncSession,
    metric: Metric,
    account_id: str,
    start: datetime,
    end: datetime,
    grain: Grain,
    filters: dict[str, str],
) -> dict[str, tuple[int, int | None]]:
    """{bucket: (total, count)} from the raw rows (the baseline)."""
    bucket = _bucket(session, metric.time_column, grain).label("bucket")
    count = metric.count if metric.count is not None else literal(None)
    stmt = _where(metric, select(bucket, metric.value, count), account_id, start, end, filters)
    rows = await session.execute(stmt.group_by(bucket))
    return {b: (int(v or 0), None if n is None else int(n)) for b, v, n in rows.all()}


async def raw_breakdown(
    session: AsyncSession,
    metric: Metric,
    account_id: str,
    start: datetime,
    end: datetime,
    filters: dict[str, str],
) -> dict[str, dict[str, int]]:
    """{dimension: {value: total}} from the raw rows (the baseline)."""
    out: dict[str, dict[str, int]] = {}
    for name, expr in metric.dimensions.items():
        key = expr.label("key")
        stmt = _where(metric, select(key, metric.value), account_id, start, end, filters)
        rows = await session.execute(stmt.group_by(key).order_by(key))
        out[name] = {str(k): int(v or 0) for k, v in rows.all()}
    return out


@dataclass(frozen=True, slots=True)
class Window:
    """A span of time for the dashboard's comparisons (`frontdesk.storage.dashboard`)."""

    start: datetime
    end: datetime  # exclusive


async def lead_sources(session: AsyncSession, account_id: str) -> dict[str, int]:
    """{source: leads}, most leads first (from the daily lead rollups)."""
    found = await rollups.record_totals(session, account_id, "lead", "k1")
    return {k: n for k, (n, _) in sorted(found.items(), key=lambda kv: (-kv[1][0], kv[0]))}


async def raw_lead_sources(session: AsyncSession, account_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(Lead.source, func.count(Lead.id))
        .where(Lead.account_id == account_id)
        .group_by(Lead.source)
        .order_by(func.count(Lead.id).desc(), Lead.source)
    )
    return {source: int(n) for source, n in rows.all()}


async def activity_counts(session: AsyncSession, account_id: str, since: datetime) -> dict[str, int]:
    """Totals and since-`since` counts of contacts, conversations, messages and tokens (from the
    daily rollups when `since` starts a UTC day). The dashboard reads the same figures in its one
    statement (`frontdesk.storage.dashboard`); this is the per-figure read for any day."""
    if not rollups.aligned(since, "d"):
        return await raw_activity_counts(session, account_id, since)
    day = rollups.bucket_key(since, "d")

    async def records(kind: str, since_day: str | None) -> int:
        return sum(
            n for n, _ in (await rollups.record_totals(session, account_id, kind, "k1", since_day)).values()
        )

    messages, tokens = await message_stats.message_totals(session, account_id)
    messages_now, tokens_now = await message_stats.message_totals(session, account_id, day)
    return {
        "totalContacts": await records("contact", None),
        "contactsThisMonth": await records("contact", day),
        "totalConversations": await records("conversation", None),
        "conversationsThisMonth": await records("conversation", day),
        "totalMessages": messages,
        "messagesThisMonth": messages_now,
        "totalTokens": tokens,
        "tokensThisMonth": tokens_now,
    }


async def raw_activity_counts(session: AsyncSession, account_id: str, since: datetime) -> dict[str, int]:
    """The same from the raw rows (the baseline, and for a `since` inside a day)."""

    async def pair(table: Any, value: Any, time_column: Any) -> tuple[int, int]:
        total = await session.scalar(select(value).where(table.account_id == account_id))
        recent = await session.scalar(
            select(value).where(table.account_id == account_id, time_column >= since)
        )
        return int(total or 0), int(recent or 0)

    contacts = await pair(Contact, func.count(Contact.id), Contact.created_at)
    conversations = await pair(Conversation, func.count(Conversation.id), Conversation.created_at)
    messages = await pair(Message, func.count(Message.id), Message.created_at)
    tokens = await pair(Message, func.coalesce(func.sum(_TOKENS), 0), Message.created_at)
    return {
        "totalContacts": contacts[0],
        "contactsThisMonth": contacts[1],
        "totalConversations": conversations[0],
        "conversationsThisMonth": conversations[1],
        "totalMessages": messages[0],
        "messagesThisMonth": messages[1],
        "totalTokens": tokens[0],
        "tokensThisMonth": tokens[1],
    }
