"""Whole turns with a real adapter against recorded provider traffic: the model routes, asks for
`get_contacts`, gets the real result (marked as data) and answers; usage and title are stored."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from frontdesk.agent.events import AgentChosen, Done, TextDelta, ToolCalled, ToolReturned
from frontdesk.agent.providers.base import TOOL_RESULT_NOTICE
from frontdesk.agent.turn import Agent
from frontdesk.config import Settings
from frontdesk.storage import conversations as store
from frontdesk.storage.db import Database
from frontdesk.tools.registry import default_registry
from frontdesk.types import Attachment, InboundMessage
from tests.agent.test_providers import ANTHROPIC, GROQ, LITELLM, Provider, provider_overrides
from tests.agent.wire import ProviderServer, Recorded, Reply, is_agent, is_route, is_title, running
from tests.conftest import demo_identity

ANSWER = "Those are your VIP contacts — the full list is in the tool result above."
# (input, output) tokens in the recordings: route, title, tool call, answer
USAGE = {
    "anthropic": [(356, 31), (64, 5), (1287, 74), (2630, 23)],
    "groq": [(341, 22), (61, 6), (1190, 31), (2411, 17)],
    "openai": [(330, 14), (58, 7), (1174, 22), (2388, 15)],
}


@pytest.fixture(scope="module")
def wire() -> Iterator[ProviderServer]:
    server = ProviderServer()
    with running(server) as url:
        server.url = url
        yield server


def has_tool_result(req: Recorded) -> bool:
    messages = json.dumps(req.body.get("messages"))
    return '"type": "tool_result"' in messages or '"role": "tool"' in messages


def queue_turn(wire: ProviderServer, p: Provider) -> None:
    tool = "tool_use.sse" if p is ANTHROPIC else "tool_call.sse"
    wire.queue(
        Reply.sse(p.rec("route.sse"), when=is_route),
        Reply.sse(p.rec("title.sse"), when=is_title),
        Reply.sse(p.rec(tool), when=lambda r: is_agent(r) and not has_tool_result(r)),
        Reply.sse(p.rec("answer.sse"), when=lambda r: is_agent(r) and has_tool_result(r)),
    )


@pytest.mark.parametrize("p", [ANTHROPIC, GROQ, LITELLM], ids=lambda p: p.key)
async def test_tool_call_round_trip(
    p: Provider, wire: ProviderServer, db: Database, settings: Settings
) -> None:
    wire.reset()
    settings = provider_overrides(settings, wire.url, model=p.model)
    queue_turn(wire, p)
    agent = Agent(db, settings, default_registry())
    principal = (await demo_identity(db)).principal()
    events = [e async for e in agent.run_turn(InboundMessage(principal, "which contacts are tagged VIP?"))]

    chosen = events[0]
    assert isinstance(chosen, AgentChosen) and chosen.department == "marketing"
    assert chosen.reason.startswith(f"{p.model} chose marketing")
    call = next(e for e in events if isinstance(e, ToolCalled))
    assert call.name == "get_contacts" and call.arguments == {"tags": ["VIP"], "limit": 10}
    result = next(e for e in events if isinstance(e, ToolReturned))
    assert not result.is_error and result.result["total"] > 0
    names = [c["name"] for c in result.result["contacts"]]
    done = events[-1]
    assert isinstance(done, Done) and done.content.endswith(ANSWER)
    assert done.content == "".join(e.text for e in events if isinstance(e, TextDelta))
    expected_in = sum(u[0] for u in USAGE[p.key])
    expected_out = sum(u[1] for u in USAGE[p.key])
    assert done.usage == {
        "input_tokens": expected_in,
        "output_tokens": expected_out,
        "total_tokens": expected_in + expected_out,
    }

    # the model received the real tool result, marked as data, answering its own call id
    [second] = [r for r in wire.requests if is_agent(r) and has_tool_result(r)]
    if p is ANTHROPIC:
        block = second.body["messages"][-1]["content"][0]
        assert (
            block["type"] == "tool_result" and block["tool_use_id"] == call.id and block["is_error"] is False
        )
        content = block["content"]
        assert second.body["messages"][-2]["content"][-1] == {
            "type": "tool_use", "id": call.id, "name": "get_contacts", "input": {"tags": ["VIP"], "limit": 10}
        }  # fmt: skip
        assert "wrapped in <tool_result> tags" in second.body["system"]
    else:
        tool_msg = second.body["messages"][-1]
        assert tool_msg["role"] == "tool" and tool_msg["tool_call_id"] == call.id
        content = tool_msg["content"]
        assert second.body["messages"][-2]["tool_calls"][0]["function"]["name"] == "get_contacts"
    assert (
        content.startswith(TOOL_RESULT_NOTICE) and '<tool_result name="get_contacts" trust="data">' in content
    )
    assert all(name in content for name in names)

    async with db.session() as s:
        conv = await store.get_conversation(s, principal, done.conversation_id)
        rows, _ = await store.list_messages(s, conv.id, limit=10, offset=0)
    assert conv.title == "VIP contacts overview" and conv.department == "marketing"
    reply = rows[-1]
    assert (reply.tokens_in, reply.tokens_out) == (expected_in, expected_out)
    assert reply.agent_used == "marketing"
    assert json.loads(reply.tool_calls[0]["function"]["arguments"]) == {"tags": ["VIP"], "limit": 10}


async def test_router_failure_falls_back_to_the_offline_classifier(
    wire: ProviderServer, db: Database, settings: Settings
) -> None:
    wire.reset()
    settings = provider_overrides(settings, wire.url, model=ANTHROPIC.model, model_max_retries=0)
    wire.queue(
        Reply.json(500, "anthropic_500.json", when=is_route),
        Reply.json(500, "anthropic_500.json", when=is_title),
        Reply.sse("anthropic_text.sse", when=is_agent),
    )
    agent = Agent(db, settings, default_registry())
    principal = (await demo_identity(db)).principal()
    events = [e async for e in agent.run_turn(InboundMessage(principal, "how is the pipeline looking?"))]
    chosen = events[0]
    assert isinstance(chosen, AgentChosen) and chosen.department == "sales"
    assert chosen.reason.startswith("model router gave no department; offline classifier")
    done = events[-1]
    assert isinstance(done, Done) and done.content.startswith("Hello!")
    async with db.session() as s:
        conv = await store.get_conversation(s, principal, done.conversation_id)
    assert conv.title == "how is the pipeline looking?"  # the model's title failed: the message stays


async def test_image_attachment_reaches_anthropic_as_an_image_block(
    wire: ProviderServer, db: Database, settings: Settings
) -> None:
    wire.reset()
    settings = provider_overrides(settings, wire.url, model=ANTHROPIC.model)
    wire.queue(
        Reply.sse("anthropic_route.sse", when=is_route),
        Reply.sse("anthropic_title.sse", when=is_title),
        Reply.sse("anthropic_text.sse", when=is_agent),
    )
    agent = Agent(db, settings, default_registry())
    principal = (await demo_identity(db)).principal()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    inbound = InboundMessage(
        principal, "who is on this business card?", attachments=(Attachment("card.png", "image/png", png),)
    )
    events = [e async for e in agent.run_turn(inbound)]
    assert isinstance(events[-1], Done)
    [req] = [r for r in wire.requests if is_agent(r)]
    image, text = req.body["messages"][-1]["content"]
    source = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(png).decode()}
    assert image == {"type": "image", "source": source}
    assert text == {"type": "text", "text": "who is on this business card?"}
