"""Relative and absolute date ranges in plain English -> (first day, last day), both inclusive."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_ISO = r"(\d{4}-\d{2}-\d{2})"
_NUM_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10, "a": 1}


@dataclass(frozen=True, slots=True)
class DateRange:
    start: date | None
    end: date | None
    label: str


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _shift_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _relative(text: str, today: date) -> DateRange | None:
    if re.search(r"\btoday\b", text):
        return DateRange(today, today, "today")
    if re.search(r"\byesterday\b", text):
        y = today - timedelta(days=1)
        return DateRange(y, y, "yesterday")
    m = re.search(
        r"\b(?:last|past|previous)\s+(\d+|one|two|three|four|five|six|seven|ten|a)\s+(day|week|month|year)s?\b",
        text,
    )
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _NUM_WORDS[m.group(1)]
        unit = m.group(2)
        if unit == "day":
            start = today - timedelta(days=n - 1)
        elif unit == "week":
            start = today - timedelta(days=7 * n - 1)
        elif unit == "month":
            start = _shift_months(today, n) + timedelta(days=1)
        else:
            start = _shift_months(today, 12 * n) + timedelta(days=1)
        return DateRange(start, today, f"in the last {n} {unit}{'s' if n != 1 else ''}")
    monday = today - timedelta(days=today.weekday())
    if re.search(r"\bthis week\b", text):
        return DateRange(monday, today, "this week")
    if re.search(r"\b(?:last|previous|past) week\b", text):
        return DateRange(monday - timedelta(days=7), monday - timedelta(days=1), "last week")
    if re.search(r"\bthis month\b", text):
        return DateRange(today.replace(day=1), today, "this month")
    if re.search(r"\b(?:last|previous|past) month\b", text):
        prev = _shift_months(today.replace(day=1), 1)
        return DateRange(*_month_range(prev.year, prev.month), "last month")
    m = re.search(r"\b(\d+|one|two|three|four|five|six|seven|ten|a)\s+days?\s+ago\b", text)
    if m:
        d = today - timedelta(days=int(m.group(1)) if m.group(1).isdigit() else _NUM_WORDS[m.group(1)])
        return DateRange(d, d, f"on {d}")
    quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if re.search(r"\bthis quarter\b|\bquarter to date\b|\bqtd\b", text):
        return DateRange(quarter_start, today, "this quarter")
    if re.search(r"\b(?:last|previous|past) quarter\b", text):
        start = _shift_months(quarter_start, 3)
        return DateRange(start, quarter_start - timedelta(days=1), "last quarter")
    if re.search(r"\bmonth to date\b|\bmtd\b", text):
        return DateRange(today.replace(day=1), today, "this month")
    if re.search(r"\byear to date\b|\bytd\b", text):
        return DateRange(date(today.year, 1, 1), today, "this year")
    if re.search(r"\bthis year\b", text):
        return DateRange(date(today.year, 1, 1), today, "this year")
    if re.search(r"\b(?:last|previous|past) year\b", text):
        return DateRange(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "last year")
    return None


def _absolute(text: str, today: date) -> DateRange | None:
    m = re.search(rf"\bbetween\s+{_ISO}\s+and\s+{_ISO}", text)
    if m:
        a, b = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        return DateRange(a, b, f"between {a} and {b}")
    m = re.search(rf"\b(?:since|after|from)\s+{_ISO}", text)
    if m:
        a = date.fromisoformat(m.group(1))
        return DateRange(a, today, f"since {a}")
    m = re.search(rf"\bbefore\s+{_ISO}", text)
    if m:
        b = date.fromisoformat(m.group(1)) - timedelta(days=1)
        return DateRange(None, b, f"before {m.group(1)}")
    m = re.search(rf"\bon\s+{_ISO}", text)
    if m:
        d = date.fromisoformat(m.group(1))
        return DateRange(d, d, f"on {d}")
    m = re.search(r"\b(in|during|since)\s+((?:19|20)\d\d)\b(?![-/])", text)
    if m:
        year = int(m.group(2))
        start, end = date(year, 1, 1), min(date(year, 12, 31), today)
        if m.group(1) == "since":
            return DateRange(start, today, f"since {year}")
        return DateRange(start, end, f"in {year}")
    m = re.search(rf"\b(in|since|during)\s+({_MONTH_RE})\b\.?(?:\s+(\d{{4}}))?", text)
    if m:
        month = MONTHS[m.group(2)]
        year = int(m.group(3)) if m.group(3) else (today.year if month <= today.month else today.year - 1)
        start, end = _month_range(year, month)
        name = calendar.month_name[month]
        if m.group(1) == "since":
            return DateRange(start, today, f"since {name} {year}")
        return DateRange(start, min(end, today) if end > today else end, f"in {name} {year}")
    return None


def parse_date_range(text: str, today: date) -> DateRange | None:
    """Find the first date expression in `text` (lower-cased) and return its inclusive range."""
    text = text.lower()
    return _relative(text, today) or _absolute(text, today)
