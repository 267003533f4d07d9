"""The offline planner: request -> department, tool, arguments. Cases are data."""

from __future__ import annotations

from datetime import date

import pytest

from frontdesk.agent.departments import load_departments
from frontdesk.agent.offline.dates import parse_date_range
from frontdesk.agent.offline.planner import plan
from frontdesk.agent.router import classify

TODAY = date(2026, 11, 23)  # a Monday

# (request, department, tool, arguments that must be present)
CASES = [
    ("which contacts are tagged VIP?", "marketing", "get_contacts", {"tags": ["VIP"]}),
    ("contacts with the tag newsletter", "marketing", "get_contacts", {"tags": ["newsletter"]}),
    ("show me everyone tagged partner and enterprise", "marketing", "get_contacts",
     {"tags": ["partner", "enterprise"]}),
    ("How many VIP customers do we have?", "data", "get_contacts", {"tags": ["VIP"]}),
    ("contacts at Acme Corp", "support", "get_contacts", {"company": "Acme Corp"}),
    ("find the contact named Alice", "support", "get_contacts", {"search": "Alice"}),
    ("What is the email of Olga Petrov?", "support", "get_contacts", {"search": "Olga Petrov"}),
    ("how many contacts were created last week?", "data", "get_contacts",
     {"created_from": "2026-11-16", "created_to": "2026-11-22"}),
    ("contacts created yesterday", "operations", "get_contacts",
     {"created_from": "2026-11-22", "created_to": "2026-11-22"}),
    ("VIP contacts created in January", "marketing", "get_contacts",
     {"tags": ["VIP"], "created_from": "2026-01-01", "created_to": "2026-01-31"}),
    ("show me the qualified leads from referral", "sales", "list_leads",
     {"status": "qualified", "source": "referral"}),
    ("How many leads did we convert last month?", "sales", "list_leads",
     {"status": "converted", "created_from": "2026-10-01", "created_to": "2026-10-31"}),
    ("new leads from the website this month", "sales", "list_leads",
     {"status": "new", "source": "website", "created_from": "2026-11-01", "created_to": "2026-11-23"}),
    ("How is the pipeline looking?", "sales", "pipeline_summary", {}),
    ("give me a breakdown of leads by status", "sales", "pipeline_summary", {}),
    ("details for contact:0b7c1f43-9f1e-4c8a-9d55-5d9a3b1c2e77", "support", "get_contact_detail",
     {"contact_id": "contact:0b7c1f43-9f1e-4c8a-9d55-5d9a3b1c2e77"}),
]  # fmt: skip


@pytest.mark.parametrize(("text", "department", "tool", "args"), CASES)
def test_plan_cases(text: str, department: str, tool: str, args: dict[str, object]) -> None:
    p = plan(text, TODAY)
    assert p.tool == tool
    for key, value in args.items():
        assert p.arguments.get(key) == value, (key, p.arguments)
    name, _ = classify(text, load_departments(), planned_tool=p.tool)
    assert name == department


def test_counts_ask_for_one_row_lists_for_a_page() -> None:
    assert plan("how many contacts are tagged VIP?", TODAY).intent == "count"
    assert plan("how many contacts are tagged VIP?", TODAY).arguments["limit"] == 1
    assert plan("list contacts tagged VIP", TODAY).arguments["limit"] == 10


def test_unclear_requests_get_a_question_not_a_guess() -> None:
    for text in ("hello", "what's the weather?", ""):
        p = plan(text, TODAY)
        assert p.tool is None and p.clarify and "I can" in p.clarify


def test_user_department_is_a_prior_not_a_cage() -> None:
    depts = load_departments()
    # an ambiguous request goes to the user's department...
    assert classify("hello", depts, prior="support")[0] == "support"
    # ...but a clear sales request still goes to sales
    assert (
        classify("how is the pipeline looking?", depts, prior="support", planned_tool="pipeline_summary")[0]
        == "sales"
    )


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
