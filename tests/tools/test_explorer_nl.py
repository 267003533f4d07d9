"""The data explorer's offline planner: plain English -> filters, and its date phrases."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.periods import parse_period
from frontdesk.storage.lake.filters import Filters
from frontdesk.tools.explorer.nl import interpret, merge

TODAY = date(2026, 5, 20)  # a Wednesday
CATALOG = {
    "contacts": {"id": "string", "company": "string", "source": "string", "status": "string",
                 "lifetime_value": "number", "tags": "list<string>", "created_at": "timestamp"},
    "leads": {"id": "string", "status": "string", "source": "string", "value": "number",
              "created_at": "timestamp"},
    "ad_daily_metrics": {"date": "date", "platform": "string", "campaign_name": "string", "spend": "number",
                         "clicks": "integer"},
}  # fmt: skip
TAGS = ["VIP", "customer", "churn-risk"]


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("today", TODAY, TODAY),
        ("yesterday", date(2026, 5, 19), date(2026, 5, 19)),
        ("in the last 7 days", date(2026, 5, 14), TODAY),
        ("past two weeks", date(2026, 5, 7), TODAY),
        ("last 3 months", date(2026, 2, 21), TODAY),
        ("this week", date(2026, 5, 18), TODAY),
        ("last week", date(2026, 5, 11), date(2026, 5, 17)),
        ("last month", date(2026, 4, 1), date(2026, 4, 30)),
        ("this quarter", date(2026, 4, 1), TODAY),
        ("last quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("last year", date(2025, 1, 1), date(2025, 12, 31)),
        ("in March", date(2026, 3, 1), date(2026, 3, 31)),
        ("in December", date(2025, 12, 1), date(2025, 12, 31)),
        ("since feb 2026", date(2026, 2, 1), TODAY),
        ("between 2026-01-05 and 2026-02-10", date(2026, 1, 5), date(2026, 2, 10)),
        ("before 2026-01-01", None, date(2025, 12, 31)),
        ("in 2025", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_date_phrases(phrase: str, start: date | None, end: date) -> None:
    window = parse_period(f"contacts {phrase}", TODAY)
    assert window is not None and (window.start, window.end) == (start, end)


def test_no_date_phrase() -> None:
    assert parse_period("all VIP contacts", TODAY) is None


def test_tags_dates_and_sort() -> None:
    found = interpret(
        "Show VIP contacts tagged churn-risk created last month, newest first", TODAY, CATALOG, TAGS
    )
    f = found.filters
    assert f.object_type == "contacts" and f.tags == ["churn-risk", "VIP"]
    assert (f.date_from, f.date_to) == (date(2026, 4, 1), date(2026, 4, 30))
    assert found.sort == ["-created_at"]


def test_leads_status_source_value_and_limit() -> None:
    found = interpret("top 10 qualified leads from referral worth over $5k", TODAY, CATALOG, TAGS)
    f = found.filters
    assert f.object_type == "leads" and f.equals == {"status": "qualified", "source": "referral"}
    assert f.ranges is not None and f.ranges["value"].gt == 5000
    assert found.limit == 10 and found.sort == ["-value"]


def test_ad_metrics_platform_and_bounds() -> None:
    f = interpret("google ads spend above 100 in the last 30 days", TODAY, CATALOG, TAGS).filters
    assert f.object_type == "ad_daily_metrics" and f.equals == {"platform": "google_ads"}
    assert f.ranges is not None and f.ranges["spend"].gt == 100
    assert (f.date_field, f.date_from) == ("date", date(2026, 4, 21))


def test_search_company_and_quoted_text() -> None:
    assert interpret("contacts at Globex", TODAY, CATALOG, TAGS).filters.search == "Globex"
    assert interpret('contacts matching "ana@"', TODAY, CATALOG, TAGS).filters.search == "ana@"
    assert interpret("contacts named Maya", TODAY, CATALOG, TAGS).filters.search == "Maya"


def test_an_object_the_connection_lacks_is_not_chosen() -> None:
    f = interpret("campaign clicks", TODAY, {"contacts": CATALOG["contacts"]}, TAGS).filters
    assert f.object_type == "contacts"


def test_explicit_filters_win() -> None:
    derived = interpret("qualified leads last week", TODAY, CATALOG, TAGS).filters
    merged = merge(Filters.model_validate({"object_type": "leads", "equals": {"status": "new"}}), derived)
    assert merged.equals == {"status": "new"} and merged.date_from == date(2026, 5, 11)
