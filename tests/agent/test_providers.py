"""Each real adapter (anthropic, groq, litellm) through its real SDK against recorded wire traffic
of its provider's protocol, served on a loopback port: a plain answer, a 429 then success, a 500
that falls back to the next model, a timeout. The tool-call round trip is in test_provider_turns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from frontdesk.agent.errors import ModelUnavailable
from frontdesk.agent.model import ChatMessage, TextChunk, ToolCallChunk, UsageChunk
from frontdesk.agent.providers import resolve_model
from frontdesk.config import Settings
from tests.agent.wire import ProviderServer, Reply, running


@dataclass(frozen=True)
class Provider:
    key: str  # recordings prefix
    model: str
    path: str
    text_usage: tuple[int, int]

    def rec(self, kind: str) -> str:
        return f"{self.key}_{kind}"


ANTHROPIC = Provider("anthropic", "anthropic/claude-sonnet-5-5", "/v1/messages", (412, 19))
GROQ = Provider("groq", "groq/llama-3.3-70b-versatile", "/openai/v1/chat/completions", (538, 14))
LITELLM = Provider("openai", "openai/gpt-4o-mini", "/v1/chat/completions", (402, 12))
PROVIDERS = [ANTHROPIC, GROQ, LITELLM]
NEXT = {ANTHROPIC: GROQ, GROQ: LITELLM, LITELLM: ANTHROPIC}
HELLO = "Hello! I can look up contacts, leads and your pipeline."
PROMPT = [ChatMessage("system", "You are the support agent."), ChatMessage("user", "hi")]


@pytest.fixture(scope="module")
def wire() -> Iterator[ProviderServer]:
    server = ProviderServer()
    with running(server) as url:
        server.url = url
        yield server


@pytest.fixture
def provider_settings(wire: ProviderServer, settings: Settings) -> Settings:
    wire.reset()
    return provider_overrides(settings, wire.url)


def provider_overrides(settings: Settings, url: str, **more: object) -> Settings:
    return settings.model_copy(
        update={
            "anthropic_api_key": "test-anthropic-key",
            "anthropic_base_url": url,
            "groq_api_key": "test-groq-key",
            "groq_base_url": url,
            "litellm_api_key": "test-openai-key",
            "litellm_api_base": f"{url}/v1",
            "model_retry_base_seconds": 0.01,
            "model_timeout_seconds": 10.0,
        }
        | more
    )


async def collect(model: object, messages: list[ChatMessage] = PROMPT) -> list[object]:
    return [c async for c in model.stream(messages, [])]  # type: ignore[attr-defined]


def text_of(chunks: list[object]) -> str:
    return "".join(c.text for c in chunks if isinstance(c, TextChunk))


def on(path: str) -> object:
    return lambda req: req.path == path


@pytest.mark.parametrize("p", PROVIDERS, ids=lambda p: p.key)
async def test_plain_answer(p: Provider, wire: ProviderServer, provider_settings: Settings) -> None:
    wire.queue(Reply.sse(p.rec("text.sse")))
    chunks = await collect(resolve_model(p.model, provider_settings))
    assert text_of(chunks) == HELLO
    assert not any(isinstance(c, ToolCallChunk) for c in chunks)
    usage = chunks[-1]
    assert isinstance(usage, UsageChunk) and (usage.input_tokens, usage.output_tokens) == p.text_usage
    [req] = wire.requests
    assert req.method == "POST" and req.path == p.path
    assert req.body["stream"] is True
    assert req.body["model"] == p.model.split("/", 1)[1]
    if p is ANTHROPIC:
        assert req.headers["authorization"] == "Bearer test-anthropic-key"  # anthropic 2.x sends the key so
        assert req.headers["anthropic-version"]
        assert req.body["system"] == "You are the support agent."
        assert req.body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
        assert req.body["max_tokens"] == provider_settings.model_max_tokens
    else:
        assert req.headers["authorization"] == f"Bearer test-{'groq' if p is GROQ else 'openai'}-key"
        assert req.body["messages"][0] == {"role": "system", "content": "You are the support agent."}
        if p is LITELLM:
            assert req.body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("p", PROVIDERS, ids=lambda p: p.key)
async def test_429_is_retried_then_succeeds(
    p: Provider, wire: ProviderServer, provider_settings: Settings
) -> None:
    wire.queue(Reply.json(429, p.rec("429.json"), headers={"retry-after": "0"}), Reply.sse(p.rec("text.sse")))
    chunks = await collect(resolve_model(p.model, provider_settings))
    assert text_of(chunks) == HELLO
    assert [r.path for r in wire.requests] == [p.path, p.path]


@pytest.mark.parametrize("p", PROVIDERS, ids=lambda p: p.key)
async def test_500_falls_back_to_the_next_model(
    p: Provider, wire: ProviderServer, provider_settings: Settings
) -> None:
    fallback = NEXT[p]
    settings = provider_settings.model_copy(
        update={"model_fallbacks": fallback.model, "model_max_retries": 1}
    )
    wire.queue(
        Reply.json(500, p.rec("500.json"), when=on(p.path)),
        Reply.json(500, p.rec("500.json"), when=on(p.path)),
        Reply.sse(fallback.rec("text.sse"), when=on(fallback.path)),
    )
    chunks = await collect(resolve_model(p.model, settings))
    assert text_of(chunks) == HELLO
    usage = chunks[-1]
    assert isinstance(usage, UsageChunk) and (usage.input_tokens, usage.output_tokens) == fallback.text_usage
    assert [r.path for r in wire.requests] == [p.path, p.path, fallback.path]  # one retry, then the next


@pytest.mark.parametrize("p", PROVIDERS, ids=lambda p: p.key)
async def test_timeout_moves_on_and_is_reported(
    p: Provider, wire: ProviderServer, provider_settings: Settings
) -> None:
    settings = provider_settings.model_copy(update={"model_timeout_seconds": 0.3})
    wire.queue(Reply.sse(p.rec("text.sse"), delay=1.2))
    with pytest.raises(ModelUnavailable) as failed:
        await collect(resolve_model(p.model, settings))
    assert "did not answer in time" in failed.value.detail
    assert failed.value.status_code == 502
    assert len(wire.requests) == 1  # a timeout is not retried on the same model

    wire.reset()  # with a fallback, the next model answers
    wire.queue(Reply.sse(p.rec("text.sse"), delay=1.2))
    with_offline = settings.model_copy(update={"model_fallbacks": "offline"})
    chunks = await collect(resolve_model(p.model, with_offline))
    assert text_of(chunks).startswith("Hi! I'm frontdesk")  # the offline fallback answers the greeting


async def test_4xx_is_not_retried(wire: ProviderServer, provider_settings: Settings) -> None:
    wire.queue(
        Reply(401, b'{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}')
    )
    with pytest.raises(ModelUnavailable) as failed:
        await collect(resolve_model(ANTHROPIC.model, provider_settings))
    assert "401" in failed.value.detail and "invalid x-api-key" in failed.value.detail
    assert len(wire.requests) == 1


async def test_anthropic_error_event_inside_a_200_stream_is_retried(
    wire: ProviderServer, provider_settings: Settings
) -> None:
    wire.queue(Reply.sse("anthropic_overloaded_midstream.sse"), Reply.sse("anthropic_text.sse"))
    chunks = await collect(resolve_model(ANTHROPIC.model, provider_settings))
    assert text_of(chunks) == HELLO and len(wire.requests) == 2


@pytest.mark.parametrize("p", PROVIDERS, ids=lambda p: p.key)
async def test_streamed_tool_call_arguments_are_assembled(
    p: Provider, wire: ProviderServer, provider_settings: Settings
) -> None:
    wire.queue(Reply.sse(p.rec("tool_use.sse" if p is ANTHROPIC else "tool_call.sse")))
    chunks = await collect(resolve_model(p.model, provider_settings))
    [call] = [c.call for c in chunks if isinstance(c, ToolCallChunk)]
    assert call.name == "get_contacts" and call.arguments == {"tags": ["VIP"], "limit": 10}
    assert call.id  # the provider's id, echoed back with the result
