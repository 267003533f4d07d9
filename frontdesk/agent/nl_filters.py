"""A data question -> the explorer's structured filters, planned by the configured model.

The model gets the connection's catalog (object types with their fields and types), today's date
and one tool, `set_filters`, whose parameters are the explorer's own `Filters` schema
(`tools.explorer.nl.filters_schema`) plus an optional `sort` and `limit`. Its tool call is the
answer. The answer is checked against the catalog the way a query would be (`filters.Compiler`:
unknown object type or field, a value of the wrong type, a range on a list...). Anything else —
a model error or timeout, no tool call, an invalid answer — returns None, and the caller falls
back to the offline planner (`tools.explorer.nl.interpret`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError

from frontdesk.agent.model import ChatMessage, ChatModel, TextChunk, ToolCallChunk, ToolSchema, UsageChunk
from frontdesk.errors import Invalid
from frontdesk.storage.lake.filters import Compiler, Filters
from frontdesk.storage.lake.query import MAX_LIMIT
from frontdesk.tools.explorer.nl import filters_schema

log = logging.getLogger(__name__)
FILTER_TOOL = "set_filters"
PROMPT = (
    "You turn a question about the user's data into structured filters over ONE object type of "
    "their data lake. Today is {today} (UTC).\n"
    "Object types and their fields (name: type):\n{catalog}\n"
    "Answer by calling the {tool} tool exactly once. Use only the object types and field names "
    "listed. Write dates as YYYY-MM-DD (resolve relative dates like 'last month' from today). "
    "Add only the filters the question asks for. `sort` lists fields, '-field' for descending; "
    "`limit` is a row count, only when the question asks for one."
)


@dataclass(frozen=True, slots=True)
class ModelFilters:
    """What the model planned, already checked against the catalog."""

    filters: Filters
    sort: list[str] | None
    limit: int | None
    planner: str  # "model:<model name>"
    understood: list[str] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)


def filter_tool() -> ToolSchema:
    schema = filters_schema()
    schema["properties"] = schema["properties"] | {
        "sort": {"type": "array", "items": {"type": "string"}, "description": "e.g. ['-created_at']"},
        "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "description": "Rows wanted."},
    }
    return ToolSchema(FILTER_TOOL, "Set the filters (and optional sort and limit) of the query.", schema)


def catalog_text(catalog: dict[str, dict[str, str]]) -> str:
    lines = []
    for object_type, types in catalog.items():
        shown = ", ".join(f"{n}: {t}" for n, t in types.items() if not n.startswith("_"))
        lines.append(f"- {object_type}: {shown}")
    return "\n".join(lines)


def check_answer(
    arguments: dict[str, Any], catalog: dict[str, dict[str, str]]
) -> tuple[Filters, list[str] | None, int | None]:
    """The model's arguments as (filters, sort, limit); `Invalid` if they do not fit the catalog."""
    args = dict(arguments)
    sort, limit = args.pop("sort", None), args.pop("limit", None)
    try:
        filters = Filters.model_validate(args)
    except ValidationError as e:
        raise Invalid(f"filters do not validate: {e.error_count()} error(s)") from None
    types = catalog.get(filters.object_type)
    if types is None:
        raise Invalid(f"Unknown object type '{filters.object_type}'")
    if sort is not None and (not isinstance(sort, list) or not all(isinstance(k, str) for k in sort)):
        raise Invalid("sort must be a list of field names")
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT
    ):
        raise Invalid(f"limit must be 1-{MAX_LIMIT}")
    compiler = Compiler(filters.object_type, types)
    compiler.where(filters)  # raises Invalid naming an unknown field or a bad value
    if sort:
        compiler.order_by(sort)
    return filters, sort or None, limit


def describe(filters: Filters, sort: list[str] | None, limit: int | None) -> list[str]:
    said = [f"{k}={v}" for k, v in filters.used().items()]
    return said + ([f"sort={sort}"] if sort else []) + ([f"limit={limit}"] if limit else [])


async def _ask(model: ChatModel, messages: list[ChatMessage]) -> tuple[dict[str, Any] | None, dict[str, int]]:
    arguments: dict[str, Any] | None = None
    usage = {"input_tokens": 0, "output_tokens": 0}
    async for chunk in model.stream(messages, [filter_tool()]):
        if isinstance(chunk, ToolCallChunk) and chunk.call.name == FILTER_TOOL and arguments is None:
            arguments = chunk.call.arguments
        elif isinstance(chunk, UsageChunk):
            usage = {"input_tokens": chunk.input_tokens, "output_tokens": chunk.output_tokens}
        elif isinstance(chunk, TextChunk):
            continue  # only the tool call is an answer
    return arguments, usage


async def plan_filters(
    model: ChatModel,
    nl_query: str,
    catalog: dict[str, dict[str, str]],
    *,
    today: date,
    max_seconds: float | None = None,
) -> ModelFilters | None:
    """The filters `model` plans for `nl_query` over `catalog` ({object_type: {field: type}}), or
    None when it failed, timed out or answered with something the catalog does not have."""
    if not nl_query.strip() or not catalog:
        return None
    system = PROMPT.format(today=today.isoformat(), catalog=catalog_text(catalog), tool=FILTER_TOOL)
    messages = [ChatMessage("system", system), ChatMessage("user", nl_query[:2_000])]
    try:
        async with asyncio.timeout(max_seconds):
            arguments, usage = await _ask(model, messages)
    except TimeoutError:
        log.warning("model filter planner timed out after %s s", max_seconds)
        return None
    except Exception as e:  # any provider failure: the offline planner answers instead
        log.warning("model filter planner failed: %s", getattr(e, "detail", None) or type(e).__name__)
        return None
    if arguments is None:
        log.warning("model filter planner gave no %s call", FILTER_TOOL)
        return None
    try:
        filters, sort, limit = check_answer(arguments, catalog)
    except Invalid as e:
        log.warning("model filter planner answer rejected: %s", e)
        return None
    return ModelFilters(filters, sort, limit, f"model:{model.name}", describe(filters, sort, limit), usage)
