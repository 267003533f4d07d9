"""Date phrases in plain English -> an inclusive (first day, last day) period, with calendar meaning.

One parser for the whole package (the offline planner and the data explorer's question reader):
today, yesterday, N days ago; last/past N days|weeks|months|years (rolling, ending today);
this/last week|month|quarter|year (calendar: "last month" is the previous calendar month);
month/quarter/year to date (mtd, qtd, ytd); since Monday (or any weekday: the latest one, today
included); Q1-Q4 [year]; from <month> to <month> [year]; in|during|since <month> [year];
in|during|since <year>; since|after|from|before|on <ISO day>; between|from <ISO day> and|to <ISO day>.
Weeks start on Monday. A month named without a year is the latest one not after today. Pure: the
caller passes `today`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}
WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ISO = r"(\d{4}-\d{2}-\d{2})"
COUNTS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "twelve": 12, "thirty": 30, "ninety": 90}  # fmt: skip
_COUNT = r"(\d+|" + "|".join(COUNTS) + r")"


@dataclass(frozen=True, slots=True)
class Period:
    start: date | None
    end: date | None
    label: str  # for people: "last month", "in March 2026", "since Monday"
    phrase: str = ""  # the words that set it, as written


def _count(word: str) -> int:
    return int(word) if word.isdigit() else COUNTS[word]


def months_back(day: date, n: int) -> date:
    """The same day of the month `n` months earlier (clamped to the month's length)."""
    index = day.year * 12 + day.month - 1 - n
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def month_span(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def quarter_span(year: int, q: int) -> tuple[date, date]:
    return date(year, 3 * q - 2, 1), month_span(year, 3 * q)[1]


def _latest_year(month: int, today: date) -> int:
    return today.year if month <= today.month else today.year - 1


def _rolling(text: str, today: date) -> Period | None:
    m = re.search(rf"\b(?:last|past|previous)\s+{_COUNT}\s+(day|week|month|year)s?\b", text)
    if not m:
        return None
    n, unit = _count(m.group(1)), m.group(2)
    if unit in ("day", "week"):
        start = today - timedelta(days=n * (7 if unit == "week" else 1) - 1)
    else:
        start = months_back(today, n * (12 if unit == "year" else 1)) + timedelta(days=1)
    return Period(start, today, f"in the last {n} {unit}{'s' if n != 1 else ''}", m.group(0))


def _calendar(text: str, today: date) -> Period | None:
    m = re.search(r"\b(this|last|previous|past)\s+(week|month|quarter|year)\b", text)
    if not m:
        return None
    last, unit = m.group(1) != "this", m.group(2)
    if unit == "week":
        monday = today - timedelta(days=today.weekday())
        span = (monday - timedelta(days=7), monday - timedelta(days=1)) if last else (monday, today)
    elif unit == "month":
        prev = months_back(today.replace(day=1), 1)
        span = month_span(prev.year, prev.month) if last else (today.replace(day=1), today)
    elif unit == "quarter":
        q = (today.month - 1) // 3 + 1
        span = quarter_span(today.year - (q == 1), 4 if q == 1 else q - 1) if last else (
            quarter_span(today.year, q)[0], today)  # fmt: skip
    else:
        y = today.year
        span = (date(y - 1, 1, 1), date(y - 1, 12, 31)) if last else (date(y, 1, 1), today)
    return Period(span[0], span[1], f"{'last' if last else 'this'} {unit}", m.group(0))


def _to_date(text: str, today: date) -> Period | None:
    for pattern, unit in ((r"\bmonth to date\b|\bmtd\b", "month"),
                          (r"\bquarter to date\b|\bqtd\b", "quarter"),
                          (r"\byear to date\b|\bytd\b", "year")):  # fmt: skip
        if m := re.search(pattern, text):
            found = _calendar(f"this {unit}", today)
            assert found is not None
            return Period(found.start, found.end, found.label, m.group(0))
    return None


def _days(text: str, today: date) -> Period | None:
    if m := re.search(r"\btoday\b", text):
        return Period(today, today, "today", m.group(0))
    if m := re.search(r"\byesterday\b", text):
        day = today - timedelta(days=1)
        return Period(day, day, "yesterday", m.group(0))
    if m := re.search(rf"\b{_COUNT}\s+days?\s+ago\b", text):
        day = today - timedelta(days=_count(m.group(1)))
        return Period(day, day, f"on {day}", m.group(0))
    if m := re.search(r"\bsince\s+(?:last\s+)?(" + "|".join(WEEKDAYS) + r")\b", text):
        back = (today.weekday() - WEEKDAYS[m.group(1)]) % 7 + (7 if "last" in m.group(0) else 0)
        start = today - timedelta(days=back)
        return Period(start, today, f"since {m.group(1).capitalize()}", m.group(0))
    return None


def _iso(text: str, today: date) -> Period | None:
    if m := re.search(rf"\b(?:between|from)\s+{_ISO}\s+(?:and|to|until|through)\s+{_ISO}", text):
        a, b = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
        return Period(a, b, f"between {a} and {b}", m.group(0))
    if m := re.search(rf"\b(?:since|after|from)\s+{_ISO}", text):
        a = date.fromisoformat(m.group(1))
        return Period(a, today, f"since {a}", m.group(0))
    if m := re.search(rf"\bbefore\s+{_ISO}", text):
        b = date.fromisoformat(m.group(1))
        return Period(None, b - timedelta(days=1), f"before {b}", m.group(0))
    if m := re.search(rf"\bon\s+{_ISO}", text):
        d = date.fromisoformat(m.group(1))
        return Period(d, d, f"on {d}", m.group(0))
    return None


def _named(text: str, today: date) -> Period | None:
    """Quarters, month ranges, months and years named in words."""
    if m := re.search(r"\b(?:in\s+|during\s+)?q([1-4])(?:\s+((?:19|20)\d\d))?\b", text):
        year = int(m.group(2)) if m.group(2) else today.year - (3 * int(m.group(1)) - 2 > today.month)
        start, end = quarter_span(year, int(m.group(1)))
        return Period(start, min(end, today), f"in Q{m.group(1)} {year}", m.group(0))
    if m := re.search(rf"\b(?:from|between)\s+({_MONTH})\.?\s+(?:to|and|until|through|-)\s+({_MONTH})\.?"
                      r"(?:\s+((?:19|20)\d\d))?\b", text):  # fmt: skip
        first, last = MONTHS[m.group(1)], MONTHS[m.group(2)]
        end_year = int(m.group(3)) if m.group(3) else _latest_year(last, today)
        start_year = end_year - (first > last)
        start, end = month_span(start_year, first)[0], month_span(end_year, last)[1]
        label = f"from {calendar.month_name[first]} to {calendar.month_name[last]} {end_year}"
        return Period(start, min(end, today), label, m.group(0))
    if m := re.search(rf"\b(in|during|since|for)\s+({_MONTH})\b\.?(?:\s+((?:19|20)\d\d))?", text):
        month = MONTHS[m.group(2)]
        year = int(m.group(3)) if m.group(3) else _latest_year(month, today)
        start, end = month_span(year, month)
        name = f"{calendar.month_name[month]} {year}"
        if m.group(1) == "since":
            return Period(start, today, f"since {name}", m.group(0))
        return Period(start, min(end, today), f"in {name}", m.group(0))
    if m := re.search(r"\b(in|during|since)\s+((?:19|20)\d\d)\b(?![-/])", text):
        year = int(m.group(2))
        if m.group(1) == "since":
            return Period(date(year, 1, 1), today, f"since {year}", m.group(0))
        return Period(date(year, 1, 1), min(date(year, 12, 31), today), f"in {year}", m.group(0))
    return None


def parse_period(text: str, today: date) -> Period | None:
    """The first date phrase in `text` (any case) as an inclusive period, or None."""
    low = " ".join(text.lower().split())
    for find in (_iso, _days, _rolling, _to_date, _calendar, _named):
        if (found := find(low, today)) is not None:
            return found
    return None


def previous_period(period: Period) -> Period | None:
    """The period just before `period`: the previous calendar month for a whole month, else the same
    number of days ending the day before it starts."""
    if period.start is None or period.end is None:
        return None
    start, end = period.start, period.end
    if (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and end == month_span(end.year, end.month)[1]
    ):
        prev = months_back(start, 1)
        first, last = month_span(prev.year, prev.month)
        return Period(first, last, f"in {calendar.month_name[prev.month]} {prev.year}")
    days = (end - start).days + 1
    prev_end = start - timedelta(days=1)
    prev_start = prev_end - timedelta(days=days - 1)
    return Period(prev_start, prev_end, f"from {prev_start} to {prev_end}")
