"""The offline planner's parts: date ranges, the department classifier, the prompt files.
Request -> department, tool, arguments cases are data in test_planner_cases.py."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.agent.departments import load_departments
from frontdesk.agent.offline.crm_rules import LEAD_SOURCES
from frontdesk.agent.offline.planner import plan
from frontdesk.agent.router import classify
from frontdesk.periods import parse_period, previous_period

TODAY = date(2026, 11, 23)  # a Monday


def test_no_date_expression_means_no_range() -> None:
    assert parse_period("which contacts are tagged VIP?", TODAY) is None
    assert parse_period("may I see the leads?", TODAY) is None


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
        # calendar meaning (issue 14): weekdays, month ranges, quarters by name
        ("since Monday", "2026-11-23", "2026-11-23"),
        ("since friday", "2026-11-20", "2026-11-23"),
        ("since last Monday", "2026-11-16", "2026-11-23"),
        ("from March to May", "2026-03-01", "2026-05-31"),
        ("between November and February", "2025-11-01", "2026-02-28"),
        ("in Q3", "2026-07-01", "2026-09-30"),
        ("q1 2025", "2025-01-01", "2025-03-31"),
        ("mtd", "2026-11-01", "2026-11-23"),
        ("from 2026-01-05 to 2026-02-10", "2026-01-05", "2026-02-10"),
    ],
)
def test_date_ranges(text: str, start: str, end: str) -> None:
    r = parse_period(text, TODAY)
    assert r is not None and (str(r.start), str(r.end)) == (start, end)


def test_departments_load_from_prompt_files() -> None:
    depts = load_departments()
    assert {"sales", "marketing", "support", "operations", "data"} <= set(depts)
    assert "pipeline_summary" in depts["sales"].tools
    assert depts["sales"].examples and depts["sales"].system_prompt.startswith("You are the sales agent")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("last month", "2026-09-01", "2026-09-30"),  # a whole month: the calendar month before
        ("last week", "2026-11-09", "2026-11-15"),  # otherwise the same number of days before
        ("this month", "2026-10-09", "2026-10-31"),
    ],
)
def test_previous_period(text: str, start: str, end: str) -> None:
    current = parse_period(text, TODAY)
    assert current is not None
    before = previous_period(current)
    assert before is not None and (str(before.start), str(before.end)) == (start, end)


def test_requests_read_as_plans() -> None:
    """Comparisons fetch both sides in one round; group-bys one count per group; writes chain."""
    p = plan("compare leads this month vs last month", TODAY)
    assert (p.shape, p.tool, [s.tool for s in p.parallel]) == ("compare", "list_leads", ["list_leads"])
    assert (
        p.arguments["created_from"] == "2026-11-01" and p.parallel[0].arguments["created_to"] == "2026-10-31"
    )
    p = plan("leads per source last month", TODAY)
    assert p.shape == "group" and len(p.parallel) == 5
    assert {s.arguments["source"] for s in p.parallel} | {p.arguments["source"]} == set(LEAD_SOURCES)
    p = plan("create a contact named Jane Doe and tag her VIP", TODAY)
    assert (p.tool, p.steps[0].tool, p.steps[0].use, p.steps[0].arguments) == (
        "create_contact", "tag_contact", "contact_id", {"tags": ["VIP"]})  # fmt: skip
    p = plan("tag all contacts at Acme Corp as enterprise", TODAY)
    assert p.arguments["company"] == "Acme Corp" and p.steps[0].each
    assert plan("mark all leads as converted", TODAY).tool is None  # never every record at once
    hello = plan("hello, who are you and what can you do?", TODAY)  # two small reads, no contact list
    assert (hello.tool, hello.spec["writer"]) == ("pipeline_summary", "greeting")
    assert [(s.tool, s.arguments["limit"]) for s in hello.parallel] == [("get_contacts", 25)]
    assert plan("hello", TODAY).tool is None  # a bare greeting reads nothing
