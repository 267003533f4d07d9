"""The offline planner's group-by steps and the use of stated facts, as pure functions: the edges
the request table (one demo account, 150 contacts) does not reach — more values than are counted,
values found on only part of the records, facts the data has no field for."""

from __future__ import annotations

from datetime import date

from frontdesk.agent.memory import stated_facts
from frontdesk.agent.model import ChatMessage
from frontdesk.agent.offline import compose, personal
from frontdesk.agent.offline.followup import plan_turn
from frontdesk.agent.offline.greeting import GENERIC, examples
from frontdesk.agent.offline.planner import plan
from frontdesk.agent.offline.steps import GROUP_MAX, Outcome, next_round, unfinished

TODAY = date(2026, 6, 15)


def _page(companies: list[str], total: int) -> Outcome:
    rows = [{"id": f"c{i}", "company": c, "tags": []} for i, c in enumerate(companies)]
    return Outcome("get_contacts", {"limit": 100}, {"contacts": rows, "total": total}, None)


def test_group_step_counts_each_value_and_names_the_rest() -> None:
    p = plan("contacts per company", TODAY)
    companies = [f"Co {i:02d}" for i in range(GROUP_MAX + 5) for _ in range(1 + (i < 3))]
    first = [_page(companies, len(companies) + 40)]  # 40 contacts not seen by the discovery pages
    calls = next_round(p, [first])
    assert calls is not None and len(calls) == GROUP_MAX
    assert [c.arguments["company"] for c in calls[:3]] == ["Co 00", "Co 01", "Co 02"]  # most frequent first
    assert all(c.arguments["limit"] == 1 for c in calls)
    counted = [Outcome("get_contacts", c.arguments, {"contacts": [], "total": 7}, None) for c in calls]
    notes = unfinished(p, [first, counted])
    assert any("Not counted: 5 smaller groups" in n for n in notes)
    assert any(f"found on {len(companies)} of the {len(companies) + 40:,} contacts" in n for n in notes)
    answer = compose.write_sequence(p, [first, counted], notes)
    assert "- Co 00: 7" in answer and "Not counted" in answer


def test_tag_groups_keep_the_asked_tag_and_skip_it_as_a_group() -> None:
    p = plan("VIP contacts by tag", TODAY)
    rows = [{"id": "a", "tags": ["VIP", "gold"]}, {"id": "b", "tags": ["VIP"]}]
    first = [Outcome("get_contacts", p.arguments, {"contacts": rows, "total": 2}, None)]
    calls = next_round(p, [first])
    assert calls is not None and [c.arguments["tags"] for c in calls] == [["VIP", "gold"]]


def test_group_of_an_empty_account_says_why() -> None:
    p = plan("contacts by tag", TODAY)
    first = [Outcome("get_contacts", p.arguments, {"contacts": [], "total": 0}, None)]
    assert next_round(p, [first]) is None
    answer = compose.write_sequence(p, [first], unfinished(p, [first]))
    assert "could not group them" in answer and "no contacts have a tag" in answer


def test_groupings_without_a_field_are_refused_plainly() -> None:
    assert "no source field" in (plan("contacts per source", TODAY).clarify or "")
    assert "no owner or assignee" in (plan("leads by owner", TODAY).clarify or "")
    assert plan("leads per source", TODAY).tool == "list_leads"  # leads do have a source


def test_stated_remit_facts() -> None:
    said = [
        ChatMessage("user", "I'm in charge of Google Ads"),
        ChatMessage("user", "I look after the Acme Corp account"),
        ChatMessage("user", "I manage our customers"),  # not a segment called "our"
    ]
    assert stated_facts(said) == {"platform": "Google Ads", "client": "Acme Corp"}


def test_facts_apply_only_to_my_requests_and_only_on_real_fields() -> None:
    facts = {"platform": "Meta Ads", "team": "Porto team"}
    mine = personal.apply_facts(plan("show my contacts", TODAY), "show my contacts", facts)
    assert "company" not in mine.arguments and "not narrowed to the Porto team" in mine.label
    ours = personal.apply_facts(plan("show the contacts", TODAY), "show the contacts", facts)
    assert ours.label == ""  # no "my": the fact is not applied
    camp = personal.apply_facts(
        plan("how are my campaigns doing", TODAY), "how are my campaigns doing", facts
    )
    assert camp.arguments["platform"] == "meta_ads" and "Filtered to Meta Ads" in camp.spec["note"]


def test_greeting_uses_the_stated_name_and_generic_examples_when_empty() -> None:
    msgs = [ChatMessage("user", "my name is Rita"), ChatMessage("assistant", "Noted."),
            ChatMessage("user", "what can you do?")]  # fmt: skip
    p = plan_turn(msgs, TODAY)
    assert p.spec == {"writer": "greeting", "name": "Rita"}
    empty = [Outcome("pipeline_summary", {}, {"stages": []}, None),
             Outcome("get_contacts", {}, {"contacts": [], "total": 0}, None)]  # fmt: skip
    assert examples(empty) == list(GENERIC)
    text = compose.write_sequence(p, [empty], [])
    assert text.startswith("Hi Rita!") and "empty so far" in text
