"""End to end over real HTTP with a real model adapter: the server runs with
`FRONTDESK_MODEL=anthropic/…` pointed at a loopback server replaying recorded Anthropic streams.
One SSE turn routes with the model, calls `get_contacts`, sends the real result back and answers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.agent.test_provider_turns import ANSWER, USAGE, has_tool_result, queue_turn
from tests.agent.test_providers import ANTHROPIC
from tests.agent.wire import ProviderServer, is_agent
from tests.api.conftest import anthropic_backed_server
from tests.api.test_chat import read_sse, stream
from tests.conftest import demo_login


@pytest.fixture(scope="module")
def anthropic_server(wire: ProviderServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with anthropic_backed_server(wire, tmp_path_factory.mktemp("anthropic-server")) as url:
        yield url


def test_sse_turn_with_recorded_anthropic_stream(anthropic_server: str, wire: ProviderServer) -> None:
    wire.reset()
    queue_turn(wire, ANTHROPIC)
    with httpx.Client(base_url=anthropic_server, timeout=30) as client:
        headers = demo_login(client)
        conv_id = client.post("/chat/conversations", json={}, headers=headers).json()["conversation_id"]
        events = [e for _, e in read_sse(stream(client, headers, conv_id, "which contacts are tagged VIP?"))]

        kinds = [e["type"] for e in events]
        assert kinds[0] == "agent" and kinds[-1] == "done" and "error" not in kinds
        assert events[0]["department"] == "marketing"
        assert events[0]["reason"].startswith("anthropic/claude-sonnet-5-5 chose marketing")
        call = next(e for e in events if e["type"] == "tool_call")
        assert call["tool"] == "get_contacts" and call["arguments"] == {"tags": ["VIP"], "limit": 10}
        assert call["id"] == "toolu_01T1x1fJ34qAmk2tNTrN7Up6"  # Anthropic's tool_use id, echoed back
        result = next(e for e in events if e["type"] == "tool_result")
        assert result["is_error"] is False and result["result"]["total"] > 0
        assert all("VIP" in c["tags"] for c in result["result"]["contacts"])
        text = "".join(e["delta"] for e in events if e["type"] == "content")
        assert text == "Let me look up your VIP contacts.\n\n" + ANSWER
        done = events[-1]
        assert done["content"] == text and done["agent"] == "marketing"
        tokens_in = sum(u[0] for u in USAGE["anthropic"])
        tokens_out = sum(u[1] for u in USAGE["anthropic"])
        assert done["usage"]["input_tokens"] == tokens_in and done["usage"]["output_tokens"] == tokens_out

        # Anthropic got the real rows back as a tool_result block, marked as data
        [second] = [r for r in wire.requests if is_agent(r) and has_tool_result(r)]
        block = second.body["messages"][-1]["content"][0]
        assert block["tool_use_id"] == call["id"]
        assert all(c["name"] in block["content"] for c in result["result"]["contacts"])
        assert block["content"].index('trust="data"') < block["content"].index(
            result["result"]["contacts"][0]["id"]
        )

        history = client.get(f"/chat/conversations/{conv_id}/messages", headers=headers).json()
        _, assistant = history["messages"]
        assert assistant["content"] == text and assistant["agent_used"] == "marketing"
        assert assistant["tokens_used"] == {"input": tokens_in, "output": tokens_out}
        assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == call["arguments"]
        conv = client.get(f"/chat/conversations/{conv_id}", headers=headers).json()
        assert conv["title"] == "VIP contacts overview" and conv["department"] == "marketing"
