"""The model interface: one streaming method. Every provider — offline included — implements it.

`stream(messages, tools)` yields `TextChunk`s, `ToolCallChunk`s and one `UsageChunk`. Tool results
come back to the model as `ChatMessage(role="tool")`; adapters send them marked as data
(`providers.base.tool_result_text`). A user message may carry images (`ImagePart`) for vision models.
Provider failures are raised as `agent.errors.ModelError`s.

Sampling options (`ModelOptions`: an account agent's temperature and answer length) do not change
`stream`'s signature: `with_options(model, options)` asks a model that has a
`with_options(options) -> ChatModel` method (the Anthropic, Groq and LiteLLM adapters and the
resilient / observed wrappers) for a copy that sends them with every request; any other model
(the offline one, test doubles) is used as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True, slots=True)
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image sent with a user message (vision input)."""

    media_type: str  # image/png, image/jpeg, image/gif or image/webp
    data: bytes


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None  # the tool's name on role="tool"
    data: Any = None  # the tool result as structured data, for models that can use it
    images: tuple[ImagePart, ...] = ()


@dataclass(frozen=True, slots=True)
class ToolSchema:
    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TextChunk:
    text: str


@dataclass(frozen=True, slots=True)
class ToolCallChunk:
    call: ToolCall


@dataclass(frozen=True, slots=True)
class UsageChunk:
    input_tokens: int
    output_tokens: int


ModelChunk = TextChunk | ToolCallChunk | UsageChunk


class ChatModel(Protocol):
    name: str

    def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]: ...


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """Per-agent sampling options; None leaves the provider's (or the server's) default."""

    temperature: float | None = None
    max_tokens: int | None = None


def with_options(model: ChatModel, options: ModelOptions | None) -> ChatModel:
    """`model` sending `options` with each request, when it takes options and some are set."""
    if options is None or options == ModelOptions():
        return model
    configure = getattr(model, "with_options", None)
    return configure(options) if callable(configure) else model


def estimate_tokens(text: str) -> int:
    """A provider-free token estimate (~4 characters a token) for models that report no usage."""
    return max(1, (len(text) + 3) // 4) if text else 0
