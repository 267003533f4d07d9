"""Account agents layered over the built-in departments (CRM MVP `/api/agents`).

An account agent (`storage.agent_models.AccountAgent`) is a department of one account: it takes
its `type`'s tools, keywords and prompt (`prompts/<type>.md`), adds its own system prompt after
it, its capabilities as extra routing keywords, and may name its own model. Its department name
is its id, so the turn stores it in `messages.agent_used` like any department.

Routing: `layered_departments` puts the account's active agents *before* the built-ins, so on an
equal score the account's agent wins over the department it is layered on; the router (offline
classifier or model) picks among all of them. A principal whose `department` is one of the
account's agent ids is pinned to that agent (that is how `POST /api/agents/{id}/execute` runs).

Permissions: listing needs `crm.read`, creating `crm.write` (a Viewer cannot), executing `chat`,
the performance figures `can_view_analytics`. `ai_performance` counts per agent from the stored
messages (`storage.agents.interaction_figures`); costs, savings and confidence are not measured
and are null.

Not applied yet: `temperature` and `max_tokens` are stored and shown, but the model interface has
no per-call options, so the provider's defaults are used.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from frontdesk.agent.departments import Department
from frontdesk.agent.errors import ModelError
from frontdesk.agent.events import Done, Failed, ToolCalled
from frontdesk.agent.providers import resolve_model
from frontdesk.config import Settings
from frontdesk.errors import Conflict, Forbidden, Invalid
from frontdesk.storage.agent_models import AccountAgent
from frontdesk.storage.agents import (
    AgentFigures,
    create_agent,
    get_agent,
    interaction_figures,
    list_agents,
    user_message_count,
)
from frontdesk.storage.db import Database
from frontdesk.storage.ids import iso
from frontdesk.types import InboundMessage, Principal


def check_fields(fields: dict[str, Any], departments: dict[str, Department], settings: Settings) -> None:
    """`Invalid` (400) unless `type` is a built-in department and `model` is one this server runs."""
    if fields["type"] not in departments:
        raise Invalid(f"Unknown agent type {fields['type']!r}; one of: {', '.join(sorted(departments))}")
    if fields.get("model"):
        resolve_model(fields["model"], settings)  # Invalid: unsupported, a missing SDK or API key


def capability_words(capabilities: list[Any]) -> tuple[str, ...]:
    return tuple(w for c in capabilities for w in re.split(r"[^a-z0-9]+", str(c).lower()) if len(w) > 2)


def as_department(agent: AccountAgent, base: Department) -> Department:
    prompt = base.system_prompt
    if agent.system_prompt.strip():
        prompt += (
            f"\n\nYou are {agent.name}, this account's {agent.type} agent.\n{agent.system_prompt.strip()}"
        )
    return Department(
        name=agent.id,
        description=f"{agent.name}: {base.description}",
        tools=base.tools,
        keywords=tuple(dict.fromkeys((*base.keywords, *capability_words(agent.capabilities)))),
        examples=base.examples,
        system_prompt=prompt,
        model=agent.model or base.model,
    )


async def layered_departments(
    db: Database, principal: Principal, builtins: dict[str, Department]
) -> dict[str, Department]:
    """The departments a turn of `principal` routes among (see the module docstring)."""
    async with db.session() as s:
        agents = await list_agents(s, principal.account_id, active_only=True)
    if not agents:
        return builtins
    mine = {a.id: as_department(a, builtins[a.type]) for a in agents if a.type in builtins}
    if principal.department in mine:
        return {principal.department: mine[principal.department]}
    return mine | builtins


async def execute(db: Database, turns: Any, principal: Principal, agent_id: str, text: str) -> dict[str, Any]:
    """Run one turn pinned to the account's agent `agent_id` (a new conversation) and collect its
    answer, tool calls and usage. `turns` is the server's `TurnRunner`. An inactive agent is a
    `Conflict`; a turn that fails raises `ModelError`."""
    _require(principal, "chat")
    async with db.session() as s:
        agent = await get_agent(s, principal.account_id, agent_id)
    if agent.status != "active":
        raise Conflict(f"Agent {agent_id} is inactive")
    pinned = dataclasses.replace(principal, department=agent.id)
    handle = await turns.submit(InboundMessage(pinned, text))
    actions: list[dict[str, Any]] = []
    outcome: Done | Failed | None = None
    async for _, event in turns.follow(handle.turn_id):
        if isinstance(event, ToolCalled):
            actions.append({"type": event.name, "parameters": event.arguments})
        elif isinstance(event, Done | Failed):
            outcome = event
    if not isinstance(outcome, Done):  # the user message is stored; the failure is the answer (502)
        raise ModelError(outcome.detail if outcome is not None else "The turn ended without an answer")
    return {
        "response": outcome.content,
        "actions": actions,
        "usage": outcome.usage,
        "conversation_id": outcome.conversation_id,
        "message_id": outcome.message_id,
        "turn_id": handle.turn_id,
        "agent": outcome.agent,
    }


def _require(principal: Principal, permission: str) -> None:
    if not principal.can(permission):
        raise Forbidden(f"Permission '{permission}' is required")


def agent_public(agent: AccountAgent, figures: AgentFigures | None) -> dict[str, Any]:
    f = figures or AgentFigures()
    return {
        "id": agent.id,
        "name": agent.name,
        "type": agent.type,
        "status": agent.status,
        "capabilities": list(agent.capabilities or []),
        "performance": {
            "total_interactions": f.interactions,
            "success_rate": round(f.successful / f.interactions, 4) if f.interactions else None,
            "avg_response_time": f.avg_response_seconds,
        },
        "config": {
            "model": agent.model,
            "temperature": agent.temperature,
            "max_tokens": agent.max_tokens,
            "system_prompt": agent.system_prompt,
        },
        "created_at": iso(agent.created_at),
    }


async def list_account_agents(db: Database, principal: Principal) -> list[dict[str, Any]]:
    _require(principal, "crm.read")
    async with db.session() as s:
        agents = await list_agents(s, principal.account_id)
        figures = await interaction_figures(s, principal.account_id)
    return [agent_public(a, figures.get(a.id)) for a in agents]


async def describe_agent(db: Database, principal: Principal, agent_id: str) -> dict[str, Any]:
    _require(principal, "crm.read")
    async with db.session() as s:
        agent = await get_agent(s, principal.account_id, agent_id)
        figures = await interaction_figures(s, principal.account_id)
    return agent_public(agent, figures.get(agent.id))


async def create_account_agent(
    db: Database,
    settings: Settings,
    principal: Principal,
    departments: dict[str, Department],
    fields: dict[str, Any],
) -> dict[str, Any]:
    _require(principal, "crm.write")
    check_fields(fields, departments, settings)
    async with db.session() as s:
        agent = await create_agent(s, principal.account_id, principal.user_id, fields)
    return agent_public(agent, None)


async def ai_performance(
    db: Database, principal: Principal, departments: dict[str, Department]
) -> dict[str, Any]:
    """Per agent (the account's, then built-in departments that answered), from stored messages."""
    _require(principal, "can_view_analytics")
    async with db.session() as s:
        agents = await list_agents(s, principal.account_id)
        figures = await interaction_figures(s, principal.account_id)
        asked = await user_message_count(s, principal.account_id)
    named = [(a.id, a.name, False) for a in agents]
    named += [(d, d, True) for d in departments if d in figures]
    rows = []
    for agent_id, name, built_in in named:
        f = figures.get(agent_id) or AgentFigures()
        metrics = {
            "total_interactions": f.interactions,
            "successful_interactions": f.successful,
            "avg_response_time": f.avg_response_seconds,
            "tokens": f.tokens_in + f.tokens_out,
            "cost_per_interaction": None,
            "lead_qualification_rate": None,
        }
        rows.append({"agent_id": agent_id, "name": name, "built_in": built_in, "metrics": metrics})
    total = sum(f.interactions for f in figures.values())
    successful = sum(f.successful for f in figures.values())
    overall = {
        "total_interactions": total,
        "total_tokens": sum(f.tokens_in + f.tokens_out for f in figures.values()),
        "total_cost": None,
        "total_savings": None,
        "automation_rate": round(min(1.0, successful / asked), 4) if asked else None,
    }
    return {"agents": rows, "overall": overall}
