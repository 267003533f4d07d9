"""Retries with backoff and a fallback chain, around any `ChatModel`s.

Each model of the chain is tried in order. A retryable error (429, 5xx, 529, a dropped
connection) is retried on the same model after `retry-after` or an exponential backoff with
jitter; a timeout or any other error moves on to the next model. Only failures before the first
chunk are retried or passed on: once text has streamed to the user, a failure ends the turn.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from frontdesk.agent.errors import ModelError, ModelUnavailable
from frontdesk.agent.model import ChatMessage, ChatModel, ModelChunk, ModelOptions, ToolSchema, with_options

log = logging.getLogger(__name__)


def backoff_seconds(attempt: int, base: float, cap: float, retry_after: float | None) -> float:
    """Delay before retry number `attempt` (0-based): the server's `retry-after` when it sent one,
    else `base * 2**attempt` with up to 25 % jitter; never more than `cap`."""
    if retry_after is not None:
        return min(retry_after, cap)
    delay = base * (2**attempt)
    return min(delay + random.uniform(0, delay / 4), cap)


class ResilientModel:
    """A `ChatModel` over a chain: the first model, then its fallbacks."""

    def __init__(
        self,
        models: Sequence[ChatModel],
        *,
        max_retries: int,
        backoff_base: float,
        backoff_cap: float = 20.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not models:
            raise ValueError("a model chain needs at least one model")
        self.models = list(models)
        self.name = self.models[0].name
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep

    def with_options(self, options: ModelOptions) -> ChatModel:
        """The same chain, each model sending `options` (those that take them)."""
        return ResilientModel(
            [with_options(m, options) for m in self.models],
            max_retries=self.max_retries,
            backoff_base=self.backoff_base,
            backoff_cap=self.backoff_cap,
            sleep=self._sleep,
        )

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        failures: list[str] = []
        for model in self.models:
            for attempt in range(self.max_retries + 1):
                started = False
                try:
                    async for chunk in model.stream(messages, tools):
                        started = True
                        yield chunk
                    return
                except ModelError as e:
                    if started:
                        raise
                    failures.append(e.detail)
                    if not e.retryable or attempt == self.max_retries:
                        log.warning("model %s failed (%s); trying the next model", model.name, e.detail)
                        break
                    delay = backoff_seconds(attempt, self.backoff_base, self.backoff_cap, e.retry_after)
                    log.info("model %s: %s; retry %d in %.2f s", model.name, e.detail, attempt + 1, delay)
                    await self._sleep(delay)
        raise ModelUnavailable("No model could answer. " + "; ".join(failures))
