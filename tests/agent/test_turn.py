"""`Agent.run_turn` against a real database: events, storage, failures, budgets, idempotency."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from frontdesk.agent.departments import load_departments
from frontdesk.agent.events import AgentChosen, Done, Failed, TextDelta, ToolCalled, ToolReturned
from frontdesk.agent.model import (
    ChatMessage,
    ModelChunk,
    TextChunk,
    ToolCall,
    ToolCallChunk,
    ToolSchema,
    UsageChunk,
)
from frontdesk.agent.turn import Agent
from frontdesk.config import Settings
from frontdesk.errors import Invalid, ToolFailure
from frontdesk.storage import conversations as store
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import default_registry
from frontdesk.types import InboundMessage
from tests.conftest import demo_identity


class ScriptedModel:
    """A fake provider that replays a script of steps (llm's MockModel idea)."""

    name = "scripted"

    def __init__(self, steps: list[ToolCall | str], delay: float = 0.0) -> None:
        self.steps = steps
        self.seen: list[list[ChatMessage]] = []
        self.delay = delay

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        self.seen.append(messages)
        await asyncio.sleep(self.delay)
        step = self.steps[min(len(self.seen) - 1, len(self.steps) - 1)]
        if isinstance(step, ToolCall):
            yield ToolCallChunk(step)
        else:
            yield TextChunk(step)
        yield UsageChunk(10, 5)


async def collect(agent: Agent, inbound: InboundMessage) -> list[object]:
    return [e async for e in agent.run_turn(inbound)]


async def test_offline_turn_events_and_storage(db: Database, settings: Settings) -> None:
    principal = (await demo_identity(db)).principal()
    agent = Agent(db, settings, default_registry())
    events = await collect(agent, InboundMessage(principal, "how many leads are qualified?"))
    assert isinstance(events[0], AgentChosen) and events[0].department == "sales"
    call = next(e for e in events if isinstance(e, ToolCalled))
    assert call.name == "list_leads" and call.arguments["status"] == "qualified"
    result = next(e for e in events if isinstance(e, ToolReturned))
    done = events[-1]
    assert isinstance(done, Done)
    assert done.content == "".join(e.text for e in events if isinstance(e, TextDelta))
    assert f"There are {result.result['total']} leads (qualified)" in done.content
    assert done.usage["input_tokens"] > 0 and done.usage["output_tokens"] > 0
    async with db.session() as s:
        conv = await store.get_conversation(s, principal, done.conversation_id)
        assert conv.title == "how many leads are qualified?" and conv.department == "sales"
        rows, total = await store.list_messages(s, conv.id, limit=10, offset=0)
    assert total == 2 and rows[1].tokens_out > 0 and rows[1].agent_used == "sales"


async def test_failing_tool_becomes_an_error_result(db: Database, settings: Settings) -> None:
    registry = default_registry()

    async def broken_tool(ctx: ToolContext) -> dict[str, str]:
        """Always fails."""
        raise ToolFailure("the upstream CRM timed out")

    registry.add(broken_tool, permission="chat")
    depts = {
        n: dataclasses.replace(d, tools=(*d.tools, "broken_tool")) for n, d in load_departments().items()
    }
    model = ScriptedModel([ToolCall("c1", "broken_tool", {}), "Sorry, the CRM timed out."])
    agent = Agent(db, settings, registry, departments=depts, model_factory=lambda _name: model)
    principal = (await demo_identity(db)).principal()
    events = await collect(agent, InboundMessage(principal, "use the broken tool"))
    returned = next(e for e in events if isinstance(e, ToolReturned))
    assert returned.is_error and "timed out" in returned.result
    assert isinstance(events[-1], Done) and events[-1].content == "Sorry, the CRM timed out."
    tool_msg = model.seen[1][-1]
    assert tool_msg.role == "tool" and tool_msg.content.startswith("Error:")


async def test_a_tool_outside_the_department_is_refused(db: Database, settings: Settings) -> None:
    """A model may call only the tools its department offered it, whatever it (or an injected
    instruction in a tool result) asks for; the refusal is an error result, not a crash."""
    model = ScriptedModel([ToolCall("c1", "create_contact", {"first_name": "Mallory"}), "ok"])
    depts = {n: dataclasses.replace(d, tools=("pipeline_summary",)) for n, d in load_departments().items()}
    agent = Agent(db, settings, default_registry(), departments=depts, model_factory=lambda _name: model)
    principal = (await demo_identity(db)).principal()  # an Owner: the registry alone would allow it
    events = await collect(agent, InboundMessage(principal, "add Mallory as a contact"))
    returned = next(e for e in events if isinstance(e, ToolReturned))
    assert returned.is_error and "not available" in returned.result
    assert isinstance(events[-1], Done)
    async with db.session() as s:
        from frontdesk.storage.crm import search_contacts

        _, found = await search_contacts(s, principal.account_id, search="Mallory")
    assert found == 0


async def test_tool_iterations_are_capped(db: Database, settings: Settings) -> None:
    model = ScriptedModel([ToolCall("loop", "pipeline_summary", {})])  # asks for a tool forever
    settings = settings.model_copy(update={"max_tool_iterations": 3})
    agent = Agent(db, settings, default_registry(), model_factory=lambda _name: model)
    principal = (await demo_identity(db)).principal()
    events = await collect(agent, InboundMessage(principal, "loop please"))
    assert sum(isinstance(e, ToolCalled) for e in events) == 3
    assert isinstance(events[-1], Done) and "stopped after 3 rounds" in events[-1].content


async def test_wall_clock_budget(db: Database, settings: Settings) -> None:
    settings = settings.model_copy(update={"turn_timeout_seconds": 0.2})
    agent = Agent(db, settings, default_registry(), model_factory=lambda _n: ScriptedModel(["late"], delay=2))
    principal = (await demo_identity(db)).principal()
    events = await collect(agent, InboundMessage(principal, "anything"))
    assert isinstance(events[-1], Failed) and events[-1].code == "timeout"


async def test_external_id_makes_retries_idempotent(db: Database, settings: Settings) -> None:
    principal = (await demo_identity(db)).principal("sms")
    agent = Agent(db, settings, default_registry())
    first = await collect(agent, InboundMessage(principal, "how is the pipeline?", external_id="SM123"))
    conv_id = first[-1].conversation_id
    again = await collect(
        agent, InboundMessage(principal, "how is the pipeline?", conversation_id=conv_id, external_id="SM123")
    )
    # the retry starts nothing: it replays the earlier turn's events, ending in the same answer
    assert again == first and again[-1].message_id == first[-1].message_id
    async with db.session() as s:
        _, total = await store.list_messages(s, conv_id, limit=10, offset=0)
    assert total == 2


async def test_history_reaches_the_model(db: Database, settings: Settings) -> None:
    model = ScriptedModel([ToolCall("c1", "pipeline_summary", {}), "done"])
    agent = Agent(db, settings, default_registry(), model_factory=lambda _name: model)
    principal = (await demo_identity(db)).principal()
    first = await collect(agent, InboundMessage(principal, "first question"))
    model.seen.clear()
    await collect(
        agent, InboundMessage(principal, "second question", conversation_id=first[-1].conversation_id)
    )
    roles = [m.role for m in model.seen[0]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert model.seen[0][1].content == "first question"
    assert model.seen[0][3].name == "pipeline_summary"


async def test_department_model_overrides_and_start_up_checks(db: Database, settings: Settings) -> None:
    depts = dict(load_departments())
    depts["sales"] = dataclasses.replace(depts["sales"], model="groq/llama-3.3-70b-versatile")
    asked: list[str] = []

    def factory(name: str) -> ScriptedModel:
        asked.append(name)
        return ScriptedModel(["from " + name])

    agent = Agent(db, settings, default_registry(), departments=depts, model_factory=factory)
    assert asked == ["offline", "groq/llama-3.3-70b-versatile"]  # every model is built at start-up
    assert agent.model_for(depts["sales"]).steps == ["from groq/llama-3.3-70b-versatile"]
    assert agent.model_for(depts["support"]).steps == ["from offline"]
    with pytest.raises(Invalid, match="FRONTDESK_ANTHROPIC_API_KEY"):
        Agent(db, settings.model_copy(update={"model": "anthropic/claude-sonnet-5-5"}), default_registry())
    with pytest.raises(Invalid, match="Unsupported model 'gpt4'"):
        Agent(db, settings.model_copy(update={"model": "gpt4"}), default_registry())
