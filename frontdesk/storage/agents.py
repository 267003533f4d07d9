"""Account agents in the SQL store, and the figures `GET /api/analytics/ai-performance` reads
from stored turns and messages.

An interaction is an assistant message; its agent is `messages.agent_used` (a built-in department
name, or an account agent's id). It was successful when its turn completed and none of its tool
calls failed; its response time is its turn's `finished_at - created_at`.

Leads an agent worked: the leads its successful `create_lead` / `update_lead` calls returned (read
from the stored tool results), each with the status the agent's latest such call left it at. Its
lead qualification rate is the share of those it left `qualified` or `converted`; what people or
other agents did to the lead afterwards is not credited to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import Conflict, NotFound
from frontdesk.storage.agent_models import AccountAgent
from frontdesk.storage.models import Message
from frontdesk.storage.turn_models import Turn

LEAD_WRITES = frozenset({"create_lead", "update_lead"})
QUALIFIED = frozenset({"qualified", "converted"})


def new_agent_id() -> str:
    return f"agent_{uuid.uuid4().hex[:12]}"


async def create_agent(
    s: AsyncSession, account_id: str, user_id: str, fields: dict[str, Any]
) -> AccountAgent:
    agent = AccountAgent(id=new_agent_id(), account_id=account_id, created_by=user_id, **fields)
    s.add(agent)
    try:
        await s.commit()
    except IntegrityError as e:
        await s.rollback()
        raise Conflict(f"An agent named {fields.get('name')!r} already exists") from e
    return agent


async def list_agents(s: AsyncSession, account_id: str, *, active_only: bool = False) -> list[AccountAgent]:
    query = select(AccountAgent).where(AccountAgent.account_id == account_id)
    if active_only:
        query = query.where(AccountAgent.status == "active")
    return list(await s.scalars(query.order_by(AccountAgent.created_at, AccountAgent.id)))


async def get_agent(s: AsyncSession, account_id: str, agent_id: str) -> AccountAgent:
    """The account's agent; another account's (or none) is `NotFound`."""
    agent = await s.get(AccountAgent, agent_id)
    if agent is None or agent.account_id != account_id:
        raise NotFound(f"Agent {agent_id} not found")
    return agent


@dataclass(slots=True)
class AgentFigures:
    interactions: int = 0
    successful: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    seconds: float = 0.0
    timed: int = 0
    leads: dict[str, str] = field(default_factory=dict)  # lead id -> status the agent left it at

    @property
    def lead_qualification_rate(self) -> float | None:
        """Share of the leads it created or updated that it left qualified or converted."""
        if not self.leads:
            return None
        return round(sum(status in QUALIFIED for status in self.leads.values()) / len(self.leads), 4)

    @property
    def avg_response_seconds(self) -> float | None:
        return round(self.seconds / self.timed, 3) if self.timed else None


def _seconds(start: datetime, end: datetime | None) -> float | None:
    if end is None:
        return None
    if (start.tzinfo is None) != (end.tzinfo is None):
        start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
    return max(0.0, (end - start).total_seconds())


async def interaction_figures(s: AsyncSession, account_id: str) -> dict[str, AgentFigures]:
    """Per `agent_used`: the account's assistant messages with their turns' outcome and time."""
    rows = await s.execute(
        select(
            Message.agent_used,
            Message.tokens_in,
            Message.tokens_out,
            Message.tool_results,
            Turn.status,
            Turn.created_at,
            Turn.finished_at,
        )
        .outerjoin(Turn, Turn.reply_message_id == Message.id)
        .where(Message.account_id == account_id, Message.role == "assistant", Message.agent_used.is_not(None))
        .order_by(Message.created_at, Message.id)
    )
    out: dict[str, AgentFigures] = {}
    for agent_used, tin, tout, results, status, started, finished in rows:
        f = out.setdefault(agent_used, AgentFigures())
        f.interactions += 1
        f.tokens_in += tin or 0
        f.tokens_out += tout or 0
        failed_tool = any(isinstance(r, dict) and r.get("is_error") for r in results or [])
        _note_leads(f, results or [])
        if status in (None, "completed") and not failed_tool:  # None: a reply stored without a turn row
            f.successful += 1
        if started is not None and (took := _seconds(started, finished)) is not None:
            f.seconds += took
            f.timed += 1
    return out


def _note_leads(f: AgentFigures, results: list[Any]) -> None:
    for r in results:
        if not isinstance(r, dict) or r.get("is_error") or r.get("name") not in LEAD_WRITES:
            continue
        lead = r.get("content")
        if isinstance(lead, dict) and lead.get("id"):
            f.leads[str(lead["id"])] = str(lead.get("status"))


async def user_message_count(s: AsyncSession, account_id: str) -> int:
    found = await s.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.account_id == account_id, Message.role == "user")
    )
    return int(found or 0)
