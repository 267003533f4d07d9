"""Aggregates over the conversation store and the CRM: time series, breakdowns, the dashboard.

Every query is filtered by account and grouped in SQL. Buckets are UTC days (`YYYY-MM-DD`) or
hours (`YYYY-MM-DDTHH`), computed with `strftime` on SQLite and `to_char(timezone('UTC', ...))`
on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Select, case, distinct, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    bucket = _bucket(session, metric.time_column, grain).label("bucket")
    count = metric.count if metric.count is not None else literal(None)
    stmt = _where(metric, select(bucket, metric.value, count), account_id, start, end, filters)
    rows = await session.execute(stmt.group_by(bucket))
    return {b: (int(v or 0), None if n is None else int(n)) for b, v, n in rows.all()}


async def breakdown(
    session: AsyncSession,
    metric: Metric,
    account_id: str,
    start: datetime,
    end: datetime,
    filters: dict[str, str],
) -> dict[str, dict[str, int]]:
    """{dimension: {value: total}} over [start, end), for every dimension of the metric."""
    out: dict[str, dict[str, int]] = {}
    for name, expr in metric.dimensions.items():
        key = expr.label("key")
        stmt = _where(metric, select(key, metric.value), account_id, start, end, filters)
        rows = await session.execute(stmt.group_by(key).order_by(key))
        out[name] = {str(k): int(v or 0) for k, v in rows.all()}
    return out


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime  # exclusive


async def lead_window(session: AsyncSession, account_id: str, w: Window) -> tuple[int, float]:
    """(leads created, value of the converted ones) in the window."""
    converted = case((Lead.status == "converted", Lead.value), else_=0.0)
    row = (
        await session.execute(
            select(func.count(Lead.id), func.coalesce(func.sum(converted), 0.0)).where(
                Lead.account_id == account_id, Lead.created_at >= w.start, Lead.created_at < w.end
            )
        )
    ).one()
    return int(row[0]), float(row[1])


async def lead_sources(session: AsyncSession, account_id: str) -> dict[str, int]:
    rows = await session.execute(
        select(Lead.source, func.count(Lead.id))
        .where(Lead.account_id == account_id)
        .group_by(Lead.source)
        .order_by(func.count(Lead.id).desc(), Lead.source)
    )
    return {source: int(n) for source, n in rows.all()}


async def activity_counts(session: AsyncSession, account_id: str, since: datetime) -> dict[str, int]:
    """Totals and since-`since` counts of contacts, conversations, messages and tokens."""

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
