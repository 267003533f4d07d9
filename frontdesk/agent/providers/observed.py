"""`ObservedModel`: any `ChatModel`, timed, its tokens counted and its request traced, by provider.

`resolve_model` wraps every adapter it builds (each model of a fallback chain separately, so a
fallback is counted under its own provider). Metrics: `frontdesk_model_request_duration_seconds`
and `frontdesk_model_tokens_total` (`frontdesk.metrics`); span: `model <provider>`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from frontdesk import metrics, tracing
from frontdesk.agent.model import (
    ChatMessage,
    ChatModel,
    ModelChunk,
    ModelOptions,
    ToolSchema,
    UsageChunk,
    with_options,
)


def provider_of(name: str) -> str:
    """`anthropic/claude-…` -> `anthropic`; `offline` -> `offline`; `ollama/llama3` -> `ollama`."""
    return name.strip().partition("/")[0] or "unknown"


class ObservedModel:
    def __init__(self, model: ChatModel, provider: str) -> None:
        self.model = model
        self.name = model.name
        self.provider = provider

    def with_options(self, options: ModelOptions) -> ChatModel:
        """The wrapped model with `options` (unchanged if it takes none, as the offline model)."""
        return ObservedModel(with_options(self.model, options), self.provider)

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        start = time.perf_counter()
        tokens_in = tokens_out = 0
        outcome = "error"
        with tracing.span(f"model {self.provider}", model=self.name, provider=self.provider) as span:
            try:
                async for chunk in self.model.stream(messages, tools):
                    if isinstance(chunk, UsageChunk):
                        tokens_in, tokens_out = chunk.input_tokens, chunk.output_tokens
                    yield chunk
                outcome = "ok"
            except GeneratorExit:  # the reader stopped early
                outcome = "closed"
                raise
            finally:
                if span is not None:
                    span.set_attribute("gen_ai.usage.input_tokens", tokens_in)
                    span.set_attribute("gen_ai.usage.output_tokens", tokens_out)
                seconds = time.perf_counter() - start
                metrics.observe_model(self.provider, outcome, seconds, tokens_in, tokens_out)
