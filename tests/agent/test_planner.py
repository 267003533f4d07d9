"""The offline planner's parts: date ranges, the department classifier, the prompt files.
Request -> department, tool, arguments cases are data in test_planner_cases.py."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.agent.departments import load_departments
from frontdesk.agent.offline.dates import parse_date_range
from frontdesk.agent.router import classify

TODAY = date(2026, 11, 23)  # a Monday


def test_no_date_expression_means_no_range() -> None:
    assert parse_date_range("which contacts are tagged VIP?", TODAY) is None
    assert parse_date_range("may I see the leads?", TODAY) is None


def test_user_department_is_a_prior_not_a_cage() -> None:
    depts = load_departments()
    # an ambiguous request goes to the user's department...
    assert classify("hello", depts, prior="support")[0] == "support"
    # ...but a clear sales request still goes to sales
    assert (
        classify("how is the pipeline looking?", depts, prior="support", planned_tool="pipeline_summary")[0]
        == "sales"
    )
    # a department that lacks the planned tool cannot win, whatever its keywords
    name, reason = classify("SELECT status FROM leads GROUP BY status", depts, planned_tool="data_sql")
    assert name == "data" and "only data has data_sql" in reason


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("today", "2026-11-23", "2026-11-23"),
        ("last 30 days", "2026-10-25", "2026-11-23"),
        ("this week", "2026-11-23", "2026-11-23"),
        ("last week", "2026-11-16", "2026-11-22"),
        ("in March 2025", "2025-03-01", "2025-03-31"),
        ("in December", "2025-12-01", "2025-12-31"),
        ("since 2026-10-01", "2026-10-01", "2026-11-23"),
        ("between 2026-01-01 and 2026-01-15", "2026-01-01", "2026-01-15"),
        ("last year", "2025-01-01", "2025-12-31"),
        ("yesterday", "2026-11-22", "2026-11-22"),
        ("this month", "2026-11-01", "2026-11-23"),
        ("in January", "2026-01-01", "2026-01-31"),
        ("3 days ago", "2026-11-20", "2026-11-20"),
        ("this quarter", "2026-10-01", "2026-11-23"),
        ("last quarter", "2026-07-01", "2026-09-30"),
        ("in 2025", "2025-01-01", "2025-12-31"),
        ("year to date", "2026-01-01", "2026-11-23"),
        ("the past 2 weeks", "2026-11-10", "2026-11-23"),
    ],
)
def test_date_ranges(text: str, start: str, end: str) -> None:
    r = parse_date_range(text, TODAY)
    assert r is not None and (str(r.start), str(r.end)) == (start, end)


def test_departments_load_from_prompt_files() -> None:
    depts = load_departments()
    assert {"sales", "marketing", "support", "operations", "data"} <= set(depts)
    assert "pipeline_summary" in depts["sales"].tools
    assert depts["sales"].examples and depts["sales"].system_prompt.startswith("You are the sales agent")
