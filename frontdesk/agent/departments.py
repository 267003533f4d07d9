"""Load department definitions from `frontdesk/prompts/*.md` (YAML front matter + system prompt)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    description: str
    tools: tuple[str, ...]
    keywords: tuple[str, ...]
    examples: tuple[str, ...]
    system_prompt: str
    model: str | None = None


def parse_prompt_file(text: str) -> tuple[dict[str, object], str]:
    """Split `---\\n<yaml>\\n---\\n<body>` into (front matter, body)."""
    if not text.startswith("---"):
        raise ValueError("prompt file must start with YAML front matter")
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front) or {}
    if not isinstance(meta, dict):
        raise ValueError("front matter must be a mapping")
    return meta, body.strip()


def load_department(path: Path) -> Department:
    meta, body = parse_prompt_file(path.read_text(encoding="utf-8"))
    return Department(
        name=str(meta["name"]),
        description=str(meta.get("description", "")),
        tools=tuple(meta.get("tools") or ()),  # type: ignore[arg-type]
        keywords=tuple(str(k).lower() for k in meta.get("keywords") or ()),  # type: ignore[attr-defined]
        examples=tuple(meta.get("examples") or ()),  # type: ignore[arg-type]
        system_prompt=body,
        model=str(meta["model"]) if meta.get("model") else None,
    )


@dataclass(frozen=True, slots=True)
class RouterPrompt:
    """`prompts/router.md`: the routing prompt (with a `{departments}` slot) and an optional model."""

    template: str
    model: str | None = None


@lru_cache
def load_router_prompt(directory: Path = PROMPTS_DIR) -> RouterPrompt:
    path = directory / "router.md"
    if not path.exists():
        return RouterPrompt("Pick the department for the request.\nDepartments:\n{departments}")
    meta, body = parse_prompt_file(path.read_text(encoding="utf-8"))
    return RouterPrompt(body, str(meta["model"]) if meta.get("model") else None)


@lru_cache
def load_departments(directory: Path = PROMPTS_DIR) -> dict[str, Department]:
    """Every department file in `directory` (all `.md` files except `router.md`), by name."""
    departments = {}
    for path in sorted(directory.glob("*.md")):
        if path.stem == "router":
            continue
        dept = load_department(path)
        departments[dept.name] = dept
    return departments
