"""Numbers for people: money, counts, percentages, multiples, and the change between two figures.

The writer only formats what a tool returned; the one piece of arithmetic here is the difference
of two returned figures (absolute and relative), which a comparison is made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


@dataclass(frozen=True, slots=True)
class Metric:
    key: str  # the field in a tool result
    name: str  # for people
    kind: str  # money | count | percent | times | number
    lower_is_better: bool = False


AD_METRICS = {
    "spend": Metric("spend", "spend", "money"),
    "clicks": Metric("clicks", "clicks", "count"),
    "impressions": Metric("impressions", "impressions", "count"),
    "conversions": Metric("conversions", "conversions", "number"),
    "ctr": Metric("ctr", "CTR", "percent"),
    "cpc": Metric("cpc", "CPC", "money", lower_is_better=True),
    "cpa": Metric("cpa", "CPA", "money", lower_is_better=True),
    "roas": Metric("roas", "ROAS", "times"),
    "conversion_value": Metric("conversion_value", "conversion value", "money"),
}
WEB_METRICS = {
    "sessions": Metric("sessions", "sessions", "count"),
    "users": Metric("users", "users", "count"),
    "page_views": Metric("page_views", "page views", "count"),
    "conversions": Metric("conversions", "website conversions", "count"),
}
LEAD_COUNT = Metric("total", "leads", "count")
LEAD_VALUE = Metric("total_value", "lead value", "money")
CONTACT_COUNT = Metric("total", "contacts", "count")


def money(value: float, currency: str | None = "USD") -> str:
    symbol = SYMBOLS.get(currency or "USD")
    decimals = 0 if abs(value) >= 1000 or float(value).is_integer() else 2
    body = f"{abs(value):,.{decimals}f}"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"


def show(value: Any, kind: str, currency: str | None = "USD") -> str:
    """`value` (as returned) for people; missing values say so."""
    if value is None:
        return "n/a"
    if kind == "money":
        return money(float(value), currency)
    if kind == "percent":
        return f"{float(value) * 100:.2f}%"
    if kind == "times":
        return f"{float(value):.2f}x"
    if kind == "count":
        return f"{round(float(value)):,}"
    number = float(value)
    return f"{number:,.0f}" if number.is_integer() else f"{number:,.2f}"


def pct(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%"


def change(a: float | None, b: float | None, kind: str, currency: str | None = "USD") -> str:
    """How `a` differs from `b`: "+12 (+8.5%)", "-$1,200 (-4.0%)", or why it cannot be said."""
    if a is None or b is None:
        return "not comparable (a figure is missing)"
    diff = float(a) - float(b)
    if kind == "percent":
        text = f"{diff * 100:+.2f} points"
    else:
        text = ("+" if diff >= 0 else "-") + show(abs(diff), kind, currency)
    return text + (f" ({pct(diff / abs(float(b)))})" if b else " (from zero)")
