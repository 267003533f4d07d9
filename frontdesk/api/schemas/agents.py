"""CRM MVP agents bodies (camelCase): `/api/agents`, `/api/agents/{id}/execute`,
`/api/analytics/ai-performance`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from frontdesk.api.schemas.base import CamelPublic, Timestamp

Capability = str


class _CamelIn(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class AgentConfigIn(_CamelIn):
    model: str | None = Field(
        default=None, min_length=1, max_length=200, description="Default: the department's."
    )
    temperature: float | None = Field(
        default=None,
        ge=0,
        le=2,
        description="Sent with each request to a real model (Anthropic: capped at 1); "
        "the offline model ignores it.",
    )
    max_tokens: int | None = Field(
        default=None,
        ge=1,
        le=200_000,
        description="Longest answer, sent with each request to a real model (default: the server's); "
        "the offline model ignores it.",
    )
    system_prompt: str = Field(default="", max_length=20_000)


class AgentCreate(_CamelIn):
    name: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=32, description="A built-in department: sales, support, ...")
    status: Literal["active", "inactive"] = "active"
    capabilities: list[Capability] = Field(default_factory=list, max_length=20)
    config: AgentConfigIn = Field(default_factory=AgentConfigIn)


class AgentPerformance(CamelPublic):
    total_interactions: int
    success_rate: float | None
    avg_response_time: float | None = Field(description="Seconds, from the stored turns.")


class AgentConfig(CamelPublic):
    model: str | None
    temperature: float | None
    max_tokens: int | None
    system_prompt: str


class AgentPublic(CamelPublic):
    id: str
    name: str
    type: str
    status: str
    capabilities: list[str]
    performance: AgentPerformance
    config: AgentConfig
    created_at: Timestamp


class AgentList(CamelPublic):
    agents: list[AgentPublic]


class ExecuteInput(_CamelIn):
    lead_id: str | None = Field(default=None, max_length=64)
    message: str = Field(min_length=1, max_length=20_000)
    context: dict[str, Any] | None = None


class ExecuteIn(_CamelIn):
    """`input` is the seed's object (`message`, `leadId`, `context`) or, as in its SDK, a string
    with `context` beside it."""

    input: ExecuteInput | str = Field(description="The request to the agent.")
    context: dict[str, Any] | None = None


class ExecuteAction(CamelPublic):
    type: str = Field(description="The tool the agent called.")
    parameters: dict[str, Any]


class ExecuteOutput(CamelPublic):
    response: str
    actions: list[ExecuteAction]
    confidence: float | None = Field(
        description="How well the request fits this agent rather than another kind of agent (0-1): the "
        "router's keyword score for it over that plus the best other department's. Null when no "
        "department scores."
    )


class ExecuteUsage(CamelPublic):
    input_tokens: int
    output_tokens: int
    total_cost: float | None = Field(
        description="USD: the turn's tokens at the agent's model's price per 1M tokens (offline: 0). "
        "Null when the model is not in the price table (FRONTDESK_MODEL_PRICES adds models)."
    )


class ExecuteOut(CamelPublic):
    agent_id: str
    conversation_id: str
    turn_id: str
    output: ExecuteOutput
    usage: ExecuteUsage


class AgentMetrics(CamelPublic):
    total_interactions: int
    successful_interactions: int
    avg_response_time: float | None
    tokens: int
    cost_per_interaction: float | None = Field(
        description="USD: the agent's stored tokens at its model's price, per interaction. Null when "
        "it has none or its model is unpriced."
    )
    lead_qualification_rate: float | None = Field(
        description="Of the leads its create_lead/update_lead calls wrote, the share it left qualified "
        "or converted. Null when it wrote none."
    )


class AgentPerformanceRow(CamelPublic):
    agent_id: str
    name: str
    built_in: bool
    metrics: AgentMetrics


class OverallPerformance(CamelPublic):
    total_interactions: int
    total_tokens: int
    total_cost: float | None = Field(description="USD over all answering agents; null if any is unpriced.")
    total_savings: float | None = Field(
        description="Not measured: always null (needs the cost of the human work replaced)."
    )
    automation_rate: float | None = Field(description="Successful answers / user messages.")


class AiPerformance(CamelPublic):
    agents: list[AgentPerformanceRow]
    overall: OverallPerformance
