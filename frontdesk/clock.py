"""Today's date (UTC) for everything that reads "relative to today": periods, demo ad rows, ranges.

One reader so a run can hold one date from start to end: `pinned(day)` fixes it for the process
(tests pin it for a whole module, so a run that crosses midnight UTC does not compare Monday's
expectations with Tuesday's answers). Timestamps of writes still come from the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

_pinned: list[date] = []


def today() -> date:
    """The pinned date if one is set, else today's date in UTC."""
    return _pinned[-1] if _pinned else datetime.now(UTC).date()


@contextmanager
def pinned(day: date) -> Iterator[date]:
    """Hold `today()` at `day` inside the block (nests; the innermost wins)."""
    _pinned.append(day)
    try:
        yield day
    finally:
        _pinned.pop()
