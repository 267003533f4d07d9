"""The offline planner's cases, as data: request -> department, tool, arguments (and, for writes on
a named record, the call that follows the lookup). Every registered tool has cases; a test fails
when a tool is registered that no case covers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from frontdesk.agent.departments import load_departments
from frontdesk.agent.offline.planner import plan
from frontdesk.agent.router import classify
from frontdesk.tools.registry import default_registry

TODAY = date(2026, 11, 23)  # a Monday
C = "contact:0b7c1f43-9f1e-4c8a-9d55-5d9a3b1c2e77"
L = "lead:5f1c2a9e-3b4d-4e6f-8a7b-9c0d1e2f3a4b"
LAST_WEEK = {"created_from": "2026-11-16", "created_to": "2026-11-22"}

# (request, department, tool, arguments that must be present[, (then_tool, then_args)])
CASES: list[tuple[Any, ...]] = [
    # contacts: by tag, company, name, created date; counts vs lists; order
    ("which contacts are tagged VIP?", "marketing", "get_contacts", {"tags": ["VIP"], "limit": 10}),
    ("contacts with the tag newsletter", "marketing", "get_contacts", {"tags": ["newsletter"]}),
    ("show me everyone tagged partner and enterprise", "marketing", "get_contacts", {"tags": ["partner", "enterprise"]}),
    ("How many VIP customers do we have?", "data", "get_contacts", {"tags": ["VIP"], "limit": 1}),
    ("how many customers are tagged churn-risk?", "marketing", "get_contacts", {"tags": ["churn-risk"], "limit": 1}),
    ("list the people labelled prospect at Hooli", "sales", "get_contacts", {"tags": ["prospect"], "company": "Hooli"}),
    ("contacts at Acme Corp", "support", "get_contacts", {"company": "Acme Corp"}),
    ("which customers work for Initech?", "support", "get_contacts", {"company": "Initech"}),
    ("find the contact named Alice", "support", "get_contacts", {"search": "Alice"}),
    ("What is the email of Olga Petrov?", "support", "get_contacts", {"search": "Olga Petrov"},
     ("get_contact_detail", {})),
    ("Olga Petrov's phone number", "support", "get_contacts", {"search": "Olga Petrov"}, ("get_contact_detail", {})),
    ("how many contacts were created last week?", "data", "get_contacts", LAST_WEEK | {"limit": 1}),
    ("contacts created yesterday", "operations", "get_contacts", {"created_from": "2026-11-22", "created_to": "2026-11-22"}),
    ("VIP contacts created in January", "marketing", "get_contacts",
     {"tags": ["VIP"], "created_from": "2026-01-01", "created_to": "2026-01-31"}),
    ("who signed up in the last 30 days?", "marketing", "get_contacts",
     {"created_from": "2026-10-25", "created_to": "2026-11-23"}),
    ("show me the newest contacts", "operations", "get_contacts", {"sort": "created_at", "order": "desc"}),
    # leads: status, source, dates
    ("show me the qualified leads from referral", "sales", "list_leads", {"status": "qualified", "source": "referral"}),
    ("How many leads did we convert last month?", "sales", "list_leads",
     {"status": "converted", "created_from": "2026-10-01", "created_to": "2026-10-31", "limit": 1}),
    ("new leads from the website this month", "sales", "list_leads",
     {"status": "new", "source": "website", "created_from": "2026-11-01", "created_to": "2026-11-23"}),
    ("deals we won this year", "sales", "list_leads", {"status": "converted", "created_from": "2026-01-01"}),
    ("how many leads came in from social media in the last 7 days?", "marketing", "list_leads",
     {"source": "social", "created_from": "2026-11-17", "created_to": "2026-11-23", "limit": 1}),
    ("list contacted leads from events", "sales", "list_leads", {"status": "contacted", "source": "event"}),
    ("any leads from ads since 2026-11-01?", "marketing", "list_leads", {"source": "ads", "created_from": "2026-11-01"}),
    # pipeline and single records
    ("How is the pipeline looking?", "sales", "pipeline_summary", {}),
    ("give me a breakdown of leads by status", "sales", "pipeline_summary", {}),
    ("what's our conversion rate?", "sales", "pipeline_summary", {}),
    (f"details for {C}", "support", "get_contact_detail", {"contact_id": C}),
    (f"show me {L}", "sales", "get_lead", {"lead_id": L}),
    # CRM writes
    ("add a contact named Jane Doe at Acme Corp, email jane.doe@acme.example", "support", "create_contact",
     {"name": "Jane Doe", "company": "Acme Corp", "email": "jane.doe@acme.example"}),
    ("create a new lead for Bruno Rossi from referral worth $12,500", "sales", "create_lead",
     {"name": "Bruno Rossi", "source": "referral", "value": 12500.0}),
    (f"tag {C} as VIP", "marketing", "tag_contact", {"contact_id": C, "tags": ["VIP"]}),
    ("tag Olga Petrov as partner", "marketing", "get_contacts", {"search": "Olga Petrov"},
     ("tag_contact", {"tags": ["partner"]})),
    (f"remove the newsletter tag from {C}", "marketing", "tag_contact", {"contact_id": C, "remove": ["newsletter"]}),
    (f"mark {L} as qualified", "sales", "update_lead", {"lead_id": L, "status": "qualified"}),
    ("move Bruno Rossi's deal to converted", "sales", "list_leads", {"search": "Bruno Rossi"},
     ("update_lead", {"status": "converted"})),
    (f"set the phone of {C} to +1 415 555 0100", "support", "update_contact", {"contact_id": C, "phone": "+1 415 555 0100"}),
    ("update Olga Petrov's email to olga@petrov.example", "support", "get_contacts", {"search": "Olga Petrov"},
     ("update_contact", {"email": "olga@petrov.example"})),
    (f"delete {L}", "sales", "delete_lead", {"lead_id": L}),
    # connections and the data explorer
    ("which data sources are connected?", "data", "get_connections", {}),
    ("is HubSpot connected?", "data", "get_connections", {"platform": "hubspot"}),
    ("show the companies in conn:hubspot-01", "sales", "query_crm_data",
     {"connection_id": "conn:hubspot-01", "object_type": "companies"}),
    ("what data do we have synced?", "data", "data_catalog", {}),
    ("query the data for VIP contacts created last month", "data", "data_query",
     {"nl_query": "VIP contacts created last month"}),
    ("SELECT source, count(*) FROM leads GROUP BY source", "data", "data_sql",
     {"sql": "SELECT source, count(*) FROM leads GROUP BY source"}),
    ("run this sql: select status, sum(value) from leads group by status;", "data", "data_sql",
     {"sql": "select status, sum(value) from leads group by status"}),
    # ads, website analytics, instant facts
    ("which ad accounts do we have?", "marketing", "list_ad_accounts", {}),
    ("show my Google Ads campaigns last month", "marketing", "get_campaigns",
     {"platform": "google_ads", "start_date": "2026-10-01", "end_date": "2026-10-31"}),
    ("how did our Facebook ads perform last week?", "marketing", "get_ad_performance",
     {"platform": "meta_ads", "start_date": "2026-11-16", "end_date": "2026-11-22"}),
    ("what was our ad spend in the last 14 days?", "marketing", "get_ad_performance",
     {"start_date": "2026-11-10", "end_date": "2026-11-23"}),
    ("list our GA4 properties", "marketing", "list_ga4_properties", {}),
    ("how much website traffic did we get this month?", "marketing", "get_ga4_metrics",
     {"start_date": "2026-11-01", "end_date": "2026-11-23"}),
    ("top 5 pages last week", "marketing", "get_top_pages", {"limit": 5, "start_date": "2026-11-16"}),
    ("where did our website visitors come from in October?", "marketing", "get_traffic_sources",
     {"start_date": "2026-10-01", "end_date": "2026-10-31"}),
    ("quick insights for the last 7 days", "marketing", "quick_insights", {"date_range": "7_days"}),
    ("how is marketing doing on Meta?", "marketing", "quick_insights", {"platforms": ["meta_ads"]}),
    # usage analytics and the dashboard
    ("messages per day over the last 2 weeks", "data", "daily_stats", {"metric_type": "messages_sent", "days": 14}),
    ("how many conversations were started on SMS this month?", "data", "daily_stats",
     {"metric_type": "conversations_started", "channel": "sms", "days": 23}),
    ("new contacts per day in the last 30 days", "data", "daily_stats", {"metric_type": "contacts_created", "days": 30}),
    ("hourly message volume for the last 48 hours", "data", "hourly_stats", {"metric_type": "messages_sent", "hours": 48}),
    ("show me the dashboard", "data", "dashboard_summary", {}),
    ("what's our revenue this month vs last month?", "data", "dashboard_summary", {}),
    # message search
    ("search messages for refund", "data", "search_messages", {"q": "refund"}),
    ('find conversations mentioning "invoice overdue" last week', "data", "search_messages",
     {"q": '"invoice overdue"', "date_from": "2026-11-16", "date_to": "2026-11-22"}),
    ("who asked about pricing?", "data", "search_messages", {"q": "pricing"}),
    # helpers and executions
    ("what kinds of helpers can I set up?", "operations", "list_helper_types", {}),
    ("list my automations", "operations", "list_helpers", {}),
    ("which helpers are disabled?", "operations", "list_helpers", {"enabled": False}),
    ("show the config of helper:welcome-email", "operations", "get_helper_config", {"helper_id": "helper:welcome-email"}),
    (f"run helper:welcome-email on {C}", "operations", "invoke_helper", {"helper_id": "helper:welcome-email", "contact_id": C}),
    ("run helper:welcome-email for Olga Petrov", "operations", "get_contacts", {"search": "Olga Petrov"},
     ("invoke_helper", {"helper_id": "helper:welcome-email"})),
    ("status of exec:7d1e2f30", "operations", "get_execution", {"execution_id": "exec:7d1e2f30"}),
    # issue 14: exports, advice, comparisons, group-bys, rankings, value filters, several steps
    ("export the VIP contacts to CSV", "data", "export_data", {"nl_query": "the VIP contacts"}),
    ("which campaigns should I pause?", "marketing", "marketing_advice", {"lens": "optimize"}),
    ("why did CPC go up in the last 7 days?", "marketing", "explain_metric", {"metric": "CPC", "date_range": "7_days"}),
    ("leads worth more than $10k", "sales", "list_leads", {"min_value": 10000.01}),
    ("top 3 campaigns by ROAS last month", "marketing", "get_campaigns", {"start_date": "2026-10-01"}),
    ("last month's pipeline", "sales", "list_leads", {"status": "new", "created_from": "2026-10-01"}),
    ("show failed helper runs from last week", "operations", "list_executions",
     {"status": "failed", "created_from": "2026-11-16T00:00:00Z", "created_to": "2026-11-23T00:00:00Z"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0][:60] for c in CASES])
def test_plan_cases(case: tuple[Any, ...]) -> None:
    text, department, tool, args, *then = case
    p = plan(text, TODAY)
    assert p.tool == tool, p
    for key, value in args.items():
        assert p.arguments.get(key) == value, (key, p.arguments)
    if then:
        then_tool, then_args = then[0]
        assert (p.then_tool, p.then_args) == (then_tool, then_args)
    else:
        assert p.then_tool is None
    name, _ = classify(text, load_departments(), planned_tool=p.tool)
    assert name == department


def test_every_registered_tool_has_a_case() -> None:
    covered = {c[2] for c in CASES} | {c[4][0] for c in CASES if len(c) > 4}
    missing = set(default_registry().names()) - covered
    assert not missing, f"planner cases missing for {sorted(missing)}"
    assert len(CASES) >= 60


@pytest.mark.parametrize("text", ["what's the weather?", "", "tell me a joke"])
def test_unclear_requests_get_a_question_not_a_guess(text: str) -> None:
    p = plan(text, TODAY)
    assert p.tool is None and p.clarify and "I can" in p.clarify


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("add a new contact", "name"),
        ("delete the Acme lead", "id"),
        ("show the companies in hubspot", "connection"),
    ],
)
def test_missing_details_get_a_short_question(text: str, question: str) -> None:
    p = plan(text, TODAY)
    assert p.tool is None and p.clarify and question in p.clarify


def test_counts_ask_for_one_row_lists_for_a_page() -> None:
    assert plan("how many contacts are tagged VIP?", TODAY).intent == "count"
    assert plan("how many contacts are tagged VIP?", TODAY).arguments["limit"] == 1
    assert plan("list contacts tagged VIP", TODAY).arguments["limit"] == 10
