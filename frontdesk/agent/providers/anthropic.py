"""`anthropic/<model>`: Claude through the `anthropic` SDK's streaming Messages API.

Raw stream events are read one by one: `content_block_start` opens a text or `tool_use` block,
`content_block_delta` carries `text_delta` / `input_json_delta`, `content_block_stop` closes a
block (a finished tool_use becomes a `ToolCallChunk`), `message_start` / `message_delta` carry the
usage. SDK retries are off (`max_retries=0`): `providers.resilient` retries and falls back.

An account agent's options (`with_options`) go with each request: `max_tokens` replaces the
server's `FRONTDESK_MODEL_MAX_TOKENS`, `temperature` is sent capped at 1.0 (the Messages API takes
0-1; the agents API accepts OpenAI's 0-2) in `extra_body`: the SDK (1.x and later) dropped the
`temperature` argument, the API still reads it from the body. Newer Claude models accept only
the default (1.0) and answer 400 to another value (a `ModelError` the turn reports).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import AsyncIterator
from typing import Any

from frontdesk.agent.errors import ModelError, ModelTimeout, retry_after_seconds
from frontdesk.agent.model import (
    ChatMessage,
    ChatModel,
    ModelChunk,
    ModelOptions,
    TextChunk,
    ToolCall,
    ToolCallChunk,
    ToolSchema,
    UsageChunk,
)
from frontdesk.agent.providers.base import (
    is_error_result,
    parse_arguments,
    system_text,
    tool_result_text,
)

_ERROR_STATUS = {
    "overloaded_error": 529,
    "api_error": 500,
    "rate_limit_error": 429,
    "timeout_error": 504,
    "invalid_request_error": 400,
}


def _user_blocks(msg: ChatMessage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": img.media_type,
                "data": base64.b64encode(img.data).decode("ascii"),
            },
        }
        for img in msg.images
    ]
    if msg.content:
        blocks.append({"type": "text", "text": msg.content})
    return blocks


def _assistant_blocks(msg: ChatMessage) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": msg.content}] if msg.content else []
    blocks += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments} for c in msg.tool_calls]
    return blocks


def to_anthropic_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """Our messages -> Messages API `messages` (system prompts go to the `system` parameter).

    Tool results travel as `tool_result` blocks of a user turn; consecutive turns of one role are
    merged, and empty turns are dropped, as the API requires."""
    out: list[dict[str, Any]] = []
    for msg in messages:
        if msg.role == "system":
            continue
        if msg.role == "tool":
            role, blocks = (
                "user",
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": msg.tool_call_id,
                        "content": tool_result_text(msg),
                        "is_error": is_error_result(msg),
                    }
                ],
            )
        elif msg.role == "assistant":
            role, blocks = "assistant", _assistant_blocks(msg)
        else:
            role, blocks = "user", _user_blocks(msg)
        if not blocks:
            continue
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def to_anthropic_tools(tools: list[ToolSchema]) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "description": t.description,
            "input_schema": t.parameters or {"type": "object", "properties": {}},
        }
        for t in tools
    ]


def _model_error(e: Exception, model: str) -> ModelError:
    import anthropic

    if isinstance(e, anthropic.APITimeoutError):
        return ModelTimeout(f"{model} did not answer in time")
    if isinstance(e, anthropic.APIStatusError):
        status = e.status_code
        body = e.body if isinstance(e.body, dict) else {}
        error = body.get("error") if isinstance(body.get("error"), dict) else body
        kind = str(error.get("type", "")) if isinstance(error, dict) else ""
        if status < 400:  # an `event: error` inside a 200 stream
            status = _ERROR_STATUS.get(kind, 500)
        message = error.get("message", "") if isinstance(error, dict) else ""
        return ModelError(
            f"{model} answered {status} {kind}: {message}".strip(),
            status=status,
            retry_after=retry_after_seconds(e.response.headers),
        )
    if isinstance(e, anthropic.APIConnectionError):
        return ModelError(f"could not reach {model}: {e}", retryable=True)
    return ModelError(f"{model} failed: {e}", retryable=False)


class AnthropicModel:
    """A `ChatModel` for one Claude model."""

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
        import anthropic

        self.name = f"anthropic/{model}"
        self.model = model
        self.max_tokens = max_tokens
        self.options = ModelOptions()
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0, http_client=http_client
        )

    def with_options(self, options: ModelOptions) -> ChatModel:
        """This model (same client) sending `options` with every request."""
        configured = copy.copy(self)
        configured.options = options
        return configured

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        import anthropic

        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.options.max_tokens or self.max_tokens,
            "messages": to_anthropic_messages(messages),
        }
        if self.options.temperature is not None:  # SDK 1.x+ has no `temperature` argument
            params["extra_body"] = {"temperature": min(self.options.temperature, 1.0)}
        if system := system_text(messages):
            params["system"] = system
        if tools:
            params["tools"] = to_anthropic_tools(tools)
        try:
            events = await self._client.messages.create(stream=True, **params)
            async with events:
                async for chunk in self._chunks(events):
                    yield chunk
        except anthropic.AnthropicError as e:
            raise _model_error(e, self.name) from e

    async def _chunks(self, events: Any) -> AsyncIterator[ModelChunk]:
        tool_blocks: dict[int, dict[str, Any]] = {}
        input_tokens = output_tokens = 0
        async for event in events:
            kind = event.type
            if kind == "message_start":
                usage = event.message.usage
                input_tokens = usage.input_tokens + (usage.cache_read_input_tokens or 0)
                input_tokens += usage.cache_creation_input_tokens or 0
                output_tokens = usage.output_tokens
            elif kind == "content_block_start" and event.content_block.type == "tool_use":
                block = event.content_block
                tool_blocks[event.index] = {"id": block.id, "name": block.name, "json": []}
            elif kind == "content_block_delta":
                delta = event.delta
                if delta.type == "text_delta" and delta.text:
                    yield TextChunk(delta.text)
                elif delta.type == "input_json_delta" and event.index in tool_blocks:
                    tool_blocks[event.index]["json"].append(delta.partial_json)
            elif kind == "content_block_stop" and event.index in tool_blocks:
                block = tool_blocks.pop(event.index)
                arguments = parse_arguments("".join(block["json"]))
                yield ToolCallChunk(ToolCall(block["id"], block["name"], arguments))
            elif kind == "message_delta":
                output_tokens = event.usage.output_tokens  # cumulative
        yield UsageChunk(input_tokens, output_tokens)
