"""Prose for computed marketing facts (MIA insights): a configured model writes it from the facts;
without one, or when the model fails before writing anything, the template text does.

The facts are computed first (`tools.ads.insights.marketing_advice`, `tools.ads.fact_drivers`);
the model only words them: it gets the report as JSON and is told to use no other number.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from frontdesk.agent.errors import ModelError
from frontdesk.agent.model import ChatMessage, ChatModel, TextChunk, UsageChunk, estimate_tokens

log = logging.getLogger(__name__)
PROSE_PROMPT = (
    "You are a marketing analyst. Write {what} for a busy marketer from the JSON report the user "
    "sends. Use only the numbers in the report (no other figure), name every campaign you advise "
    "on, keep the report's order (most important first), give each recommendation's expected "
    "effect, and mention the stated assumptions once. Plain text or short markdown lists, under "
    "250 words."
)
LEAVE_OUT = ("thresholds", "response_time_ms", "insights", "analysis")


class InsightWriter:
    """Streams the prose of one report; `tokens` is the usage once the stream has ended."""

    def __init__(self, model: ChatModel | None) -> None:
        self.model = model
        self.tokens = 0
        self.written_by = "template"

    async def stream(self, report: dict[str, Any], template: str, what: str) -> AsyncIterator[str]:
        if self.model is not None:
            wrote = False
            async for chunk in self._model_stream(report, what):
                wrote = True
                yield chunk
            if wrote:
                self.written_by = self.model.name
                return
        for line in template.splitlines(keepends=True):
            yield line
        self.tokens = estimate_tokens(template)

    async def text(self, report: dict[str, Any], template: str, what: str) -> str:
        return "".join([chunk async for chunk in self.stream(report, template, what)])

    async def _model_stream(self, report: dict[str, Any], what: str) -> AsyncIterator[str]:
        assert self.model is not None
        facts = {k: v for k, v in report.items() if k not in LEAVE_OUT}
        messages = [
            ChatMessage("system", PROSE_PROMPT.format(what=what)),
            ChatMessage("user", json.dumps(facts, default=str)),
        ]
        wrote = False
        try:
            async for chunk in self.model.stream(messages, []):
                if isinstance(chunk, TextChunk) and chunk.text:
                    wrote = True
                    yield chunk.text
                elif isinstance(chunk, UsageChunk):
                    self.tokens = chunk.input_tokens + chunk.output_tokens
        except ModelError as e:
            if wrote:  # part of the answer is out: end it there, said plainly
                yield "\n\n(The model stopped early; the figures above are complete up to here.)"
                return
            log.warning("insight prose fell back to the template: %s", e.detail)
