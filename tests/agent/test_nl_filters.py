"""`agent.nl_filters`: a scripted model's `set_filters` call -> checked filters, or None."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from frontdesk.agent.errors import ModelError
from frontdesk.agent.model import (
    ChatMessage,
    ModelChunk,
    TextChunk,
    ToolCall,
    ToolCallChunk,
    ToolSchema,
    UsageChunk,
)
from frontdesk.agent.nl_filters import FILTER_TOOL, plan_filters
from frontdesk.storage.lake.filters import Filters

TODAY = date(2025, 6, 15)
CATALOG = {
    "contacts": {
        "id": "string",
        "first_name": "string",
        "tags": "list<string>",
        "created_at": "timestamp",
        "lifetime_value": "number",
        "_tags": "string",
    },
    "leads": {"id": "string", "status": "string", "value": "number", "created_at": "timestamp"},
}


class FilterModel:
    """A fake provider: each call replays one step (a tool call's arguments, text, or an error)."""

    name = "scripted/filters"

    def __init__(self, step: dict[str, Any] | str | Exception, delay: float = 0.0) -> None:
        self.step = step
        self.delay = delay
        self.seen: list[tuple[list[ChatMessage], list[ToolSchema]]] = []

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        self.seen.append((messages, tools))
        await asyncio.sleep(self.delay)
        if isinstance(self.step, Exception):
            raise self.step
        if isinstance(self.step, str):
            yield TextChunk(self.step)
        else:
            yield ToolCallChunk(ToolCall("call_1", FILTER_TOOL, self.step))
        yield UsageChunk(120, 30)


async def test_good_answer_becomes_filters() -> None:
    model = FilterModel(
        {
            "object_type": "leads",
            "in": {"status": ["new", "qualified"]},
            "ranges": {"value": {"gte": 10000}},
            "date_from": "2025-01-01",
            "sort": ["-value"],
            "limit": 5,
        }
    )
    plan = await plan_filters(model, "open deals over 10k this year, biggest first", CATALOG, today=TODAY)
    assert plan is not None
    assert plan.filters == Filters.model_validate(
        {
            "object_type": "leads",
            "in": {"status": ["new", "qualified"]},
            "ranges": {"value": {"gte": 10000}},
            "date_from": "2025-01-01",
        }
    )
    assert plan.sort == ["-value"] and plan.limit == 5
    assert plan.planner == "model:scripted/filters"
    assert plan.usage == {"input_tokens": 120, "output_tokens": 30}
    assert "object_type=leads" in plan.understood
    # what the model was shown: today, the catalog (hidden fields left out) and the one tool
    [(messages, tools)] = model.seen
    system = messages[0].content
    assert "2025-06-15" in system and "lifetime_value: number" in system and "_tags" not in system
    assert messages[1].content == "open deals over 10k this year, biggest first"
    [tool] = tools
    assert tool.name == FILTER_TOOL
    parts = {"object_type", "tags", "in", "ranges", "search", "sort", "limit"}
    assert parts <= set(tool.parameters["properties"])


@pytest.mark.parametrize(
    "answer",
    [
        {"object_type": "contacts", "equals": {"favourite_colour": "blue"}},  # unknown field
        {"object_type": "invoices"},  # unknown object type
        {"object_type": "leads", "tags": ["VIP"]},  # leads have no tags
        {"object_type": "contacts", "_tags": "vip"},  # not a filter part
        {"object_type": "contacts", "equals": {"_tags": "vip"}},  # hidden field
        {"object_type": "leads", "ranges": {"value": {"gt": "lots"}}},  # not a number
        {"object_type": "leads", "sort": ["-nope"]},  # unknown sort field
        {"object_type": "leads", "limit": 0},
        {"object_type": "leads", "date_from": "2025-05-01", "date_to": "2025-04-01"},
    ],
)
async def test_invalid_answer_is_none(answer: dict[str, Any]) -> None:
    assert await plan_filters(FilterModel(answer), "anything", CATALOG, today=TODAY) is None


@pytest.mark.parametrize(
    "step",
    [ModelError("boom", status=500), RuntimeError("sdk bug"), "Sorry, I can only chat."],
    ids=["model-error", "other-error", "text-only"],
)
async def test_model_failure_is_none(step: Exception | str) -> None:
    assert await plan_filters(FilterModel(step), "VIP contacts", CATALOG, today=TODAY) is None


async def test_slow_model_times_out() -> None:
    model = FilterModel({"object_type": "contacts"}, delay=5.0)
    assert await plan_filters(model, "contacts", CATALOG, today=TODAY, max_seconds=0.05) is None


async def test_no_question_or_catalog_asks_nothing() -> None:
    model = FilterModel({"object_type": "contacts"})
    assert await plan_filters(model, "   ", CATALOG, today=TODAY) is None
    assert await plan_filters(model, "contacts", {}, today=TODAY) is None
    assert model.seen == []
