"""CRM MVP agents: `GET/POST /api/agents`, `GET /api/agents/{id}`, `POST /api/agents/{id}/execute`
and `GET /api/analytics/ai-performance` (camelCase). Routes translate only; the work is in
`agent.account_agents` (account agents layered over the built-in departments)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, status

from frontdesk.agent import account_agents
from frontdesk.api.deps import CurrentPrincipal, ServicesDep, chat_rate_limit
from frontdesk.api.openapi import errors
from frontdesk.api.schemas.agents import (
    AgentCreate,
    AgentList,
    AgentPublic,
    AiPerformance,
    ExecuteIn,
    ExecuteOut,
)

router = APIRouter(prefix="/api/agents", tags=["agents"])
analytics_router = APIRouter(prefix="/api/analytics", tags=["analytics"])


@router.get("", response_model=AgentList, response_model_by_alias=True, responses=errors(401, 403))
async def list_agents(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The account's agents with their performance from stored turns."""
    return {"agents": await account_agents.list_account_agents(services.db, principal)}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AgentPublic,
    response_model_by_alias=True,
    responses=errors(400, 401, 403, 409, 422),
)
async def create_agent(
    body: AgentCreate, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """A new agent of the account; `type` names the built-in department it is layered on."""
    fields = {
        "name": body.name.strip(),
        "type": body.type,
        "status": body.status,
        "capabilities": [c.strip() for c in body.capabilities if c.strip()],
        "system_prompt": body.config.system_prompt,
        "model": body.config.model,
        "temperature": body.config.temperature,
        "max_tokens": body.config.max_tokens,
    }
    return await account_agents.create_account_agent(
        services.db, services.settings, principal, services.agent.departments, fields
    )


@router.get(
    "/{agent_id}", response_model=AgentPublic, response_model_by_alias=True, responses=errors(401, 403, 404)
)
async def get_agent(agent_id: str, principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """One of the account's agents with its performance; another account's is a 404."""
    return await account_agents.describe_agent(services.db, principal, agent_id)


def request_text(body: ExecuteIn) -> str:
    if isinstance(body.input, str):
        message, lead_id, context = body.input, None, body.context
    else:
        message, lead_id, context = body.input.message, body.input.lead_id, body.input.context or body.context
    parts = [message.strip()]
    if lead_id:
        parts.append(f"Lead: {lead_id}")
    if context:
        parts.append(f"Context: {json.dumps(context, default=str)[:4000]}")
    return "\n".join(parts)


@router.post(
    "/{agent_id}/execute",
    response_model=ExecuteOut,
    response_model_by_alias=True,
    dependencies=[Depends(chat_rate_limit)],
    responses=errors(400, 401, 403, 404, 409, 413, 422, 429, 502, 504),
)
async def execute(
    agent_id: str, body: ExecuteIn, principal: CurrentPrincipal, services: ServicesDep
) -> dict[str, Any]:
    """One turn answered by this agent (in a new conversation): its reply, the tools it called as
    `actions`, and the tokens it used."""
    done = await account_agents.execute(
        services.db,
        services.turns,
        principal,
        agent_id,
        request_text(body),
        settings=services.settings,
        departments=services.agent.departments,
    )
    return {
        "agent_id": agent_id,
        "conversation_id": done["conversation_id"],
        "turn_id": done["turn_id"],
        "output": {
            "response": done["response"],
            "actions": done["actions"],
            "confidence": done["confidence"],
        },
        "usage": {
            "input_tokens": done["usage"].get("input_tokens", 0),
            "output_tokens": done["usage"].get("output_tokens", 0),
            "total_cost": done["total_cost"],
        },
    }


@analytics_router.get(
    "/ai-performance", response_model=AiPerformance, response_model_by_alias=True, responses=errors(401, 403)
)
async def ai_performance(principal: CurrentPrincipal, services: ServicesDep) -> dict[str, Any]:
    """Per agent: interactions, successful ones, average response time, tokens, cost and lead
    qualification rate (stored turns)."""
    return await account_agents.ai_performance(
        services.db, principal, services.agent.departments, services.settings
    )
