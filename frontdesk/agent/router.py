"""The offline department classifier: keyword and example overlap, the planned tool, and the
user's own department as a prior (a prior, not a cage)."""

from __future__ import annotations

import re
from functools import lru_cache

from frontdesk.agent.departments import Department

_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")
_STOP = frozenset(
    "a an the is are was were do does did how what which who me my our we i to of in on for with".split()
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


@lru_cache(maxsize=256)
def _example_words(examples: tuple[str, ...]) -> frozenset[str]:
    """The words of a department's examples (fixed while it is loaded: kept, not re-read a turn)."""
    return frozenset().union(*(_words(e) for e in examples))


def score(
    text: str,
    dept: Department,
    *,
    prior: str | None,
    planned_tool: str | None,
    words: set[str] | None = None,
) -> float:
    """Keyword hits (2 each), example-word overlap (0.25 each), the planned tool (1) and the user's
    own department (0.75). `words`: `text`'s words, when the caller scores several departments."""
    low = text.lower()
    words = _words(text) if words is None else words
    points = 0.0
    for kw in dept.keywords:
        if (" " in kw and kw in low) or kw in words:
            points += 2.0
    points += 0.25 * len(words & _example_words(tuple(dept.examples)))
    if planned_tool and planned_tool in dept.tools:
        points += 1.0
    if prior and dept.name == prior:
        points += 0.75
    return points


def classify(
    text: str,
    departments: dict[str, Department],
    *,
    prior: str | None = None,
    planned_tool: str | None = None,
) -> tuple[str, str]:
    """Return (department name, reason). Only departments that list the planned tool compete (one
    that lacks it could not answer); ties go to the prior department, then to file order."""
    if not departments:
        raise ValueError("no departments loaded")
    owners = [d for d in departments.values() if planned_tool and planned_tool in d.tools]
    if len(owners) == 1:
        return owners[0].name, f"offline classifier: only {owners[0].name} has {planned_tool}"
    candidates = owners or list(departments.values())
    order = list(departments)
    words = _words(text)
    scored = [
        (
            score(text, d, prior=prior, planned_tool=planned_tool, words=words),
            d.name == prior,
            -order.index(d.name),
            d.name,
        )
        for d in candidates
    ]
    best = max(scored)
    reason = f"offline classifier score {best[0]:.2f}" + (" (user's department)" if best[1] else "")
    return best[3], reason
