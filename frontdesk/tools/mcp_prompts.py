"""MCP prompts: each department's example questions, one prompt per department.

Departments are data (`frontdesk/prompts/*.md` front matter) loaded by the agent layer, which
this layer may not import; the caller hands them in as `DepartmentPrompt`s (anything with `name`,
`description` and `examples`). A prompt `sales` takes an optional `question` (completed from the
department's examples) and yields one user message: the question, ready to send.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import mcp_types as types
from mcp.shared.exceptions import MCPError

QUESTION = "question"


class DepartmentLike(Protocol):
    name: str
    description: str
    examples: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DepartmentPrompt:
    name: str
    description: str
    examples: tuple[str, ...]

    @classmethod
    def from_departments(cls, departments: Iterable[DepartmentLike]) -> list[DepartmentPrompt]:
        return [cls(d.name, d.description, tuple(d.examples)) for d in departments if d.examples]

    def as_mcp(self) -> types.Prompt:
        examples = "; ".join(self.examples)
        return types.Prompt(
            name=self.name,
            title=f"Ask {self.name}",
            description=f"{self.description} Example questions: {examples}",
            arguments=[
                types.PromptArgument(
                    name=QUESTION,
                    description=f"What to ask (default: {self.examples[0]!r}); completion offers "
                    "the department's examples.",
                    required=False,
                )
            ],
        )


class PromptBook:
    """The department prompts by name: list, get, and complete the `question` argument."""

    def __init__(self, prompts: Sequence[DepartmentPrompt]) -> None:
        self._prompts = {p.name: p for p in prompts}

    def __bool__(self) -> bool:
        return bool(self._prompts)

    def list(self) -> list[types.Prompt]:
        return [p.as_mcp() for p in self._prompts.values()]

    def _get(self, name: str) -> DepartmentPrompt:
        try:
            return self._prompts[name]
        except KeyError:
            raise MCPError(types.INVALID_PARAMS, f"Unknown prompt '{name}'") from None

    def get(self, name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
        prompt = self._get(name)
        question = ((arguments or {}).get(QUESTION) or "").strip() or prompt.examples[0]
        return types.GetPromptResult(
            description=f"A question for frontdesk's {prompt.name} department",
            messages=[
                types.PromptMessage(role="user", content=types.TextContent(type="text", text=question))
            ],
        )

    def complete(self, name: str, argument: str, value: str) -> list[str]:
        """The department's examples containing `value` (case-insensitive), for `question`."""
        if argument != QUESTION or name not in self._prompts:
            return []
        needle = value.strip().lower()
        return [e for e in self._prompts[name].examples if needle in e.lower()]
