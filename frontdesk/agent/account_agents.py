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
messages (`storage.agents.interaction_figures`), with the lead qualification rate defined there.

Figures: a cost is tokens x the model's price (`agent.pricing`: a documented table per 1M
input/output tokens, overridable by `FRONTDESK_MODEL_PRICES`; offline costs 0; an unpriced model
gives null, not 0). Partial: tokens are priced at the model the agent is configured with *now*
(messages do not record which model answered), so a turn a fallback model answered, the
router's and the title's side requests are priced as that model. `execute`'s confidence is
`match_confidence` (how well the request fits the agent, from the router's keyword score), not
a model's own certainty. `total_savings` stays null: it needs the cost of the human work
replaced, which frontdesk does not know.

Model options: an agent's `temperature` and `max_tokens` (unset: the provider's temperature and
`FRONTDESK_MODEL_MAX_TOKENS`) are sent with every request its turns make to a real model
(Anthropic, Groq, LiteLLM: `agent.model.with_options`; Anthropic caps temperature at 1.0). The
offline model ignores them: its answers are deterministic and templated. The router's and the
title's side requests use the server's defaults.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from frontdesk import clock
from frontdesk.agent import pricing
from frontdesk.agent.departments import Department
from frontdesk.agent.errors import ModelError
from frontdesk.agent.events import Done, Failed, ToolCalled
from frontdesk.agent.model import ChatMessage, ModelOptions
from frontdesk.agent.offline.followup import plan_turn
from frontdesk.agent.providers import resolve_model
from frontdesk.agent.router import score
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
from frontdesk.storage.read_cache import ReadCache
from frontdesk.types import InboundMessage, Principal


@dataclass(frozen=True, slots=True)
class AgentDepartment(Department):
    """An account agent as a department, with its own temperature and answer length."""

    options: ModelOptions = dataclasses.field(default_factory=ModelOptions)


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
    return AgentDepartment(
        name=agent.id,
        description=f"{agent.name}: {base.description}",
        tools=base.tools,
        keywords=tuple(dict.fromkeys((*base.keywords, *capability_words(agent.capabilities)))),
        examples=base.examples,
        system_prompt=prompt,
        model=agent.model or base.model,
        options=ModelOptions(temperature=agent.temperature, max_tokens=agent.max_tokens),
    )


def model_options(dept: Department) -> ModelOptions | None:
    """The sampling options a department's turns send: an account agent's, else none."""
    return dept.options if isinstance(dept, AgentDepartment) else None


# An account's active agents, read by every turn: kept per process (`storage.read_cache`: cleared
# by this process's writes to `account_agents`, at most AGENTS_TTL_SECONDS stale for another's).
AGENTS_TTL_SECONDS = 2.0
_active_agents: ReadCache[tuple[AccountAgent, ...]] = ReadCache(
    "account_agents", watches=(AccountAgent,), ttl=AGENTS_TTL_SECONDS
)


async def _load_active(db: Database, account_id: str) -> tuple[AccountAgent, ...]:
    async with db.session() as s:
        return tuple(await list_agents(s, account_id, active_only=True))


async def layered_departments(
    db: Database, principal: Principal, builtins: dict[str, Department]
) -> dict[str, Department]:
    """The departments a turn of `principal` routes among (see the module docstring). The agents
    come from a per-process cache (`_active_agents`); they are detached rows, only read here."""
    account_id = principal.account_id
    agents = await _active_agents.get((db.url, account_id), lambda: _load_active(db, account_id))
    if not agents:
        return builtins
    mine = {a.id: as_department(a, builtins[a.type]) for a in agents if a.type in builtins}
    if principal.department in mine:
        return {principal.department: mine[principal.department]}
    return mine | builtins


def agent_model(agent: AccountAgent, departments: dict[str, Department], settings: Settings) -> str:
    """The model an account agent's turns ask (its own, else its type's, else the server's)."""
    base = departments.get(agent.type)
    return agent.model or (base.model if base else None) or settings.model


def match_confidence(
    text: str, agent: AccountAgent, departments: dict[str, Department], today: date
) -> float | None:
    """How well `text` fits this agent rather than another kind of agent, in [0, 1]: the offline
    router's score for the agent (its type's keywords plus its capabilities, the examples, the
    offline planner's tool for the request) over that score plus the best score of a built-in
    department of another type (no user-department prior). None when neither scores (the request
    names nothing any department knows)."""
    base = departments.get(agent.type)
    if base is None:
        return None
    planned = plan_turn([ChatMessage("user", text)], today).tool
    own = score(text, as_department(agent, base), prior=None, planned_tool=planned)
    rival = max(
        (
            score(text, d, prior=None, planned_tool=planned)
            for d in departments.values()
            if d.name != agent.type
        ),
        default=0.0,
    )
    return round(own / (own + rival), 4) if own + rival > 0 else None


async def execute(
    db: Database,
    turns: Any,
    principal: Principal,
    agent_id: str,
    text: str,
    *,
    settings: Settings,
    departments: dict[str, Department],
) -> dict[str, Any]:
    """Run one turn pinned to the account's agent `agent_id` (a new conversation) and collect its
    answer, tool calls, usage, its cost (the turn's tokens at the agent's model's price; None if
    that model is unpriced) and `match_confidence`. `turns` is the server's `TurnRunner`. An
    inactive agent is a `Conflict`; a turn that fails raises `ModelError`."""
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
        "total_cost": pricing.cost(
            agent_model(agent, departments, settings),
            outcome.usage.get("input_tokens", 0),
            outcome.usage.get("output_tokens", 0),
            settings,
        ),
        "confidence": match_confidence(text, agent, departments, clock.today()),
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
    db: Database, principal: Principal, departments: dict[str, Department], settings: Settings
) -> dict[str, Any]:
    """Per agent (the account's, then built-in departments that answered), from stored messages.
    Costs price each agent's stored tokens at the model it is configured with now
    (`agent.pricing`); `total_cost` is None when any answering agent's model is unpriced (or the
    agent is gone)."""
    _require(principal, "can_view_analytics")
    async with db.session() as s:
        agents = await list_agents(s, principal.account_id)
        figures = await interaction_figures(s, principal.account_id)
        asked = await user_message_count(s, principal.account_id)
    named = [(a.id, a.name, False) for a in agents]
    named += [(d, d, True) for d in departments if d in figures]
    models = {a.id: agent_model(a, departments, settings) for a in agents}
    models |= {d.name: d.model or settings.model for d in departments.values()}
    costs = {
        used: pricing.cost(models[used], f.tokens_in, f.tokens_out, settings) if used in models else None
        for used, f in figures.items()
    }
    rows = []
    for agent_id, name, built_in in named:
        f = figures.get(agent_id) or AgentFigures()
        spent = costs.get(agent_id)
        metrics = {
            "total_interactions": f.interactions,
            "successful_interactions": f.successful,
            "avg_response_time": f.avg_response_seconds,
            "tokens": f.tokens_in + f.tokens_out,
            "cost_per_interaction": round(spent / f.interactions, 8)
            if spent is not None and f.interactions
            else None,
            "lead_qualification_rate": f.lead_qualification_rate,
        }
        rows.append({"agent_id": agent_id, "name": name, "built_in": built_in, "metrics": metrics})
    total = sum(f.interactions for f in figures.values())
    successful = sum(f.successful for f in figures.values())
    overall = {
        "total_interactions": total,
        "total_tokens": sum(f.tokens_in + f.tokens_out for f in figures.values()),
        "total_cost": None if None in costs.values() else round(sum(c or 0.0 for c in costs.values()), 8),
        "total_savings": None,
        "automation_rate": round(min(1.0, successful / asked), 4) if asked else None,
    }
    return {"agents": rows, "overall": overall}
