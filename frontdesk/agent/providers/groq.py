"""`groq/<model>`: Groq's OpenAI-compatible chat.completions through the `groq` SDK.

Streamed; Groq reports the usage in the last chunk's `x_groq.usage` (the SDK takes no
`stream_options`), which `openai_format.openai_chunks` reads. SDK retries are off
(`max_retries=0`): `providers.resilient` retries and falls back. An account agent's options
(`with_options`) go with each request as `temperature` and `max_completion_tokens`.
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


def _model_error(e: Exception, model: str) -> ModelError:
    import groq

    if isinstance(e, groq.APITimeoutError):
        return ModelTimeout(f"{model} did not answer in time")
    if isinstance(e, groq.APIStatusError):
        status = e.status_code if e.status_code >= 400 else 500  # an error inside a 200 stream
        return ModelError(
            f"{model} answered {status}: {e.message}",
            status=status,
            retry_after=retry_after_seconds(e.response.headers),
        )
    if isinstance(e, groq.APIConnectionError):
        return ModelError(f"could not reach {model}: {e}", retryable=True)
    return ModelError(f"{model} failed: {e}", retryable=False)


class GroqModel:
    """A `ChatModel` for one Groq-hosted model (e.g. llama-3.3-70b-versatile)."""

    def __init__(
        self,
        model: str,
        *,
        api_key: str,
        base_url: str,
        timeout: float,
        max_tokens: int,
        http_client: Any = None,
    ) -> None:
        import groq

        self.name = f"groq/{model}"
        self.model = model
        self.max_tokens = max_tokens
        self.options = ModelOptions()
        self._client = groq.AsyncGroq(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, http_client=http_client
        )

    def with_options(self, options: ModelOptions) -> ChatModel:
        """This model (same client) sending `options` with every request."""
        configured = copy.copy(self)
        configured.options = options
        return configured

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        import groq

        params: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(messages),
            "max_completion_tokens": self.options.max_tokens or self.max_tokens,
            "stream": True,
        }
        if self.options.temperature is not None:
            params["temperature"] = self.options.temperature
        if tools:
            params["tools"] = to_openai_tools(tools)
        try:
            stream = await self._client.chat.completions.create(**params)
            async with stream:
                async for chunk in openai_chunks(stream, prompt_estimate(messages)):
                    yield chunk
        except groq.GroqError as e:
            raise _model_error(e, self.name) from e
