"""Date phrases in a data question -> an inclusive (first day, last day) window.

Understands: today, yesterday; last/past N days|weeks|months|years; this/last week|month|quarter|
year; in <month> [year]; in <year>; since/after/before/on <ISO day>; between/from <ISO day>
and/to <ISO day>. Weeks start on Monday. Pure: the caller passes `today`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTH_NAMES = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTH_NAMES |= {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTH = "|".join(sorted(_MONTH_NAMES, key=len, reverse=True))
_DAY = r"(\d{4}-\d{2}-\d{2})"
_COUNTS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
           "twelve": 12, "thirty": 30, "ninety": 90}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Window:
    start: date | None
    end: date | None
    phrase: str  # the words that set it, e.g. "last 30 days"


def _months_back(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 - n
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _quarter(year: int, q: int) -> tuple[date, date]:
    return date(year, 3 * q - 2, 1), _month(year, 3 * q)[1]


def _rolling(text: str, today: date) -> Window | None:
    counts = "|".join(_COUNTS)
    m = re.search(rf"\b(?:last|past|previous)\s+(\d+|{counts})\s+(day|week|month|year)s?\b", text)
    if not m:
        return None
    n = int(m.group(1)) if m.group(1).isdigit() else _COUNTS[m.group(1)]
    unit = m.group(2)
    if unit in ("day", "week"):
        start = today - timedelta(days=n * (7 if unit == "week" else 1) - 1)
    else:
        start = _months_back(today, n * (12 if unit == "year" else 1)) + timedelta(days=1)
    return Window(start, today, m.group(0))


def _calendar(text: str, today: date) -> Window | None:
    m = re.search(r"\b(this|last|previous|past)\s+(week|month|quarter|year)\b", text)
    if not m:
        return None
    last = m.group(1) != "this"
    unit = m.group(2)
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        span = (monday - timedelta(days=7), monday - timedelta(days=1)) if last else (monday, today)
    elif unit == "month":
        first = today.replace(day=1)
        prev = _months_back(first, 1)
        span = _month(prev.year, prev.month) if last else (first, today)
    elif unit == "quarter":
        q = (today.month - 1) // 3 + 1
        if last:
            span = _quarter(today.year - (q == 1), 4 if q == 1 else q - 1)
        else:
            span = (_quarter(today.year, q)[0], today)
    else:
        span = (
            (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
            if last
            else (date(today.year, 1, 1), today)
        )
    return Window(span[0], span[1], m.group(0))


def _absolute(text: str, today: date) -> Window | None:
    patterns = (
        (rf"\b(?:between|from)\s+{_DAY}\s+(?:and|to|until)\s+{_DAY}", lambda a, b: (a, b)),
        (rf"\b(?:since|after|from)\s+{_DAY}", lambda a: (a, today)),
        (rf"\bbefore\s+{_DAY}", lambda a: (None, a - timedelta(days=1))),
        (rf"\bon\s+{_DAY}", lambda a: (a, a)),
    )
    for pattern, span in patterns:
        if m := re.search(pattern, text):
            days = [date.fromisoformat(g) for g in m.groups()]
            start, end = span(*days)  # type: ignore[operator]
            return Window(start, end, m.group(0))
    if m := re.search(rf"\b(in|during|since)\s+({_MONTH})\.?(?:\s+(\d{{4}}))?\b", text):
        month = _MONTH_NAMES[m.group(2)]
        year = int(m.group(3)) if m.group(3) else today.year - (month > today.month)
        first, last = _month(year, month)
        return Window(first, today if m.group(1) == "since" else min(last, today), m.group(0))
    if m := re.search(r"\b(in|during)\s+((?:19|20)\d{2})\b", text):
        year = int(m.group(2))
        return Window(date(year, 1, 1), min(date(year, 12, 31), today), m.group(0))
    return None


def find_window(text: str, today: date) -> Window | None:
    """The first date phrase in `text`, or None."""
    text = text.lower()
    if m := re.search(r"\btoday\b", text):
        return Window(today, today, m.group(0))
    if m := re.search(r"\byesterday\b", text):
        return Window(today - timedelta(days=1), today - timedelta(days=1), m.group(0))
    return _rolling(text, today) or _calendar(text, today) or _absolute(text, today)
