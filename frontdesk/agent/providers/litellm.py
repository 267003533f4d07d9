"""Any other model string through `litellm` (`openai/gpt-4o-mini`, `ollama/llama3.1`, `mistral/…`),
and OpenAI-compatible servers (vLLM, llama.cpp, Ollama's `/v1`) as `openai/<model>` with
`FRONTDESK_LITELLM_API_BASE` pointing at them. `litellm/<model>` forces this adapter for a name
another adapter would take (e.g. `litellm/anthropic/claude-…`).

LiteLLM's chunks follow the OpenAI chat.completions stream, read by `openai_format.openai_chunks`.
Its own retries are off (`num_retries=0`, `max_retries=0`): `providers.resilient` retries and falls back.
An account agent's options (`with_options`) go with each request as `temperature` and `max_tokens`.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

from frontdesk.agent.errors import ModelError, ModelTimeout, retry_after_seconds
from frontdesk.agent.model import ChatMessage, ChatModel, ModelChunk, ModelOptions, ToolSchema
from frontdesk.agent.providers.openai_format import (
    openai_chunks,
    prompt_estimate,
    to_openai_messages,
    to_openai_tools,
)
from frontdesk.config import keep_litellm_offline


def _import_litellm() -> Any:
    keep_litellm_offline()  # before the import: LiteLLM reads its environment at import time
    import litellm

    litellm.telemetry = False
    return litellm


def _model_error(e: Exception, model: str) -> ModelError:
    import openai  # LiteLLM's exceptions subclass OpenAI's

    if isinstance(e, openai.APITimeoutError):
        return ModelTimeout(f"{model} did not answer in time")
    message = getattr(e, "message", None) or str(e)
    if isinstance(e, openai.APIConnectionError):
        return ModelError(f"could not reach {model}: {message}", retryable=True)
    status = getattr(e, "status_code", None)
    headers = getattr(getattr(e, "response", None), "headers", None)
    if isinstance(status, int):
        return ModelError(
            f"{model} answered {status}: {message}", status=status, retry_after=retry_after_seconds(headers)
        )
    return ModelError(f"{model} failed: {message}", retryable=False)


class LiteLLMModel:
    """A `ChatModel` for any model string LiteLLM understands."""

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None,
        api_base: str | None,
        timeout: float,
        max_tokens: int,
    ) -> None:
        self.litellm = _import_litellm()
        self.name = model
        self.model = model.removeprefix("litellm/")
        self.api_key = api_key
        self.api_base = api_base
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.options = ModelOptions()

    def with_options(self, options: ModelOptions) -> ChatModel:
        """This model sending `options` with every request."""
        configured = copy.copy(self)
        configured.options = options
        return configured

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        import openai

        params: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(messages),
            "max_tokens": self.options.max_tokens or self.max_tokens,
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": self.timeout,
            "num_retries": 0,
            "max_retries": 0,
        }
        if self.options.temperature is not None:
            params["temperature"] = self.options.temperature
        if tools:
            params["tools"] = to_openai_tools(tools)
        if self.api_key:
            params["api_key"] = self.api_key
        if self.api_base:
            params["api_base"] = self.api_base
        try:
            stream = await self.litellm.acompletion(**params)
            async for chunk in openai_chunks(stream, prompt_estimate(messages)):
                yield chunk
        except openai.OpenAIError as e:  # LiteLLM maps every provider's errors onto these
            raise _model_error(e, self.name) from e
