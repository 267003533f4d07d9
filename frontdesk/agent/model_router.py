"""Routing with a real model: ask it for a department as structured output.

The model gets the router prompt (`prompts/router.md`, with the departments filled in) and one
tool, `choose_department`, whose `department` argument is an enum of the department names. A
tool call is the structured answer; a plain-text reply naming exactly one department is accepted
too (a constrained answer). Anything else — an error, a timeout, an unknown name — returns None,
and the graph falls back to the offline classifier (`router.classify`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from frontdesk.agent.departments import Department
from frontdesk.agent.errors import ModelError
from frontdesk.agent.model import (
    ChatMessage,
    ChatModel,
    TextChunk,
    ToolCallChunk,
    ToolSchema,
    UsageChunk,
)

log = logging.getLogger(__name__)
ROUTE_TOOL = "choose_department"
CONTEXT_TURNS = 3  # earlier user messages shown to the router, for follow-ups


@dataclass(frozen=True, slots=True)
class ModelRoute:
    department: str
    reason: str
    usage: dict[str, int]


def route_schema(departments: dict[str, Department]) -> ToolSchema:
    return ToolSchema(
        ROUTE_TOOL,
        "Choose the department that should answer the user's latest message.",
        {
            "type": "object",
            "properties": {
                "department": {"type": "string", "enum": list(departments)},
                "reason": {"type": "string", "description": "A few words on why."},
            },
            "required": ["department"],
        },
    )


def router_system_prompt(template: str, departments: dict[str, Department], prior: str | None) -> str:
    listing = "\n".join(f"- {d.name}: {d.description}" for d in departments.values())
    text = template.replace("{departments}", listing)
    text += f"\nAnswer by calling the {ROUTE_TOOL} tool."
    if prior in departments:
        text += (
            f"\nThe user works in the {prior} department: prefer it when the request fits several "
            "departments equally, but pick another when the request clearly belongs there."
        )
    return text


def _user_turns(messages: list[ChatMessage]) -> str:
    users = [m.content for m in messages if m.role == "user"][-(CONTEXT_TURNS + 1) :]
    *earlier, latest = users or [""]
    lines = [f"Earlier message: {u}" for u in earlier]
    lines.append(f"Latest message: {latest}")
    return "\n".join(lines)


def _named_department(text: str, departments: dict[str, Department]) -> str | None:
    named = {n for n in departments if re.search(rf"\b{re.escape(n)}\b", text, re.I)}
    return named.pop() if len(named) == 1 else None


async def route_with_model(
    model: ChatModel,
    messages: list[ChatMessage],
    departments: dict[str, Department],
    *,
    prior: str | None,
    template: str,
) -> ModelRoute | None:
    """The department `model` picks for the latest user message, or None if it gave no valid one."""
    prompt = [
        ChatMessage("system", router_system_prompt(template, departments, prior)),
        ChatMessage("user", _user_turns(messages)),
    ]
    text: list[str] = []
    picked: str | None = None
    why = ""
    usage = {"input_tokens": 0, "output_tokens": 0}
    try:
        async for chunk in model.stream(prompt, [route_schema(departments)]):
            if isinstance(chunk, ToolCallChunk) and chunk.call.name == ROUTE_TOOL and picked is None:
                picked = str(chunk.call.arguments.get("department", ""))
                why = str(chunk.call.arguments.get("reason", ""))[:200]
            elif isinstance(chunk, TextChunk):
                text.append(chunk.text)
            elif isinstance(chunk, UsageChunk):
                usage = {"input_tokens": chunk.input_tokens, "output_tokens": chunk.output_tokens}
    except ModelError as e:
        log.warning("model router failed: %s", e.detail)
        return None
    if picked not in departments:
        picked = _named_department("".join(text), departments)
    if picked is None:
        log.warning("model router named no known department")
        return None
    reason = f"{model.name} chose {picked}" + (f": {why}" if why else "")
    return ModelRoute(picked, reason, usage)
