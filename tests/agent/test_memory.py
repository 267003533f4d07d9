"""Conversation memory within a token budget, and titles for new conversations."""

from __future__ import annotations

from frontdesk.agent.memory import fit_history, message_tokens, split_turns, stated_facts
from frontdesk.agent.model import ChatMessage, ToolCall
from frontdesk.agent.titles import clean_title, title_from
from frontdesk.agent.turn import Agent
from frontdesk.config import Settings
from frontdesk.storage import conversations as store
from frontdesk.storage.db import Database
from frontdesk.tools.registry import default_registry
from frontdesk.types import InboundMessage
from tests.agent.test_turn import ScriptedModel, collect
from tests.conftest import demo_identity


def turn(n: int, size: int = 400) -> list[ChatMessage]:
    return [
        ChatMessage("user", f"question {n} " + "x" * size),
        ChatMessage("assistant", "", tool_calls=(ToolCall(f"c{n}", "pipeline_summary", {}),)),
        ChatMessage("tool", "{}" + "y" * size, tool_call_id=f"c{n}", name="pipeline_summary"),
        ChatMessage("assistant", f"answer {n}"),
    ]


def test_oldest_turns_are_dropped_first_and_turns_stay_whole() -> None:
    messages = [m for n in range(10) for m in turn(n)] + [ChatMessage("user", "latest")]
    per_turn = sum(message_tokens(m) for m in turn(0))
    kept = fit_history(messages, budget=3 * per_turn + 10)
    assert kept[-1].content == "latest"
    assert kept[0].role == "user" and kept[0].content.startswith("question 7")  # turns 7, 8, 9 fit
    assert [m.content.split()[1] for m in kept[:-1] if m.role == "user"] == ["7", "8", "9"]
    assert all(len(t) in (1, 4) for t in split_turns(kept))  # no tool result without its call
    assert sum(message_tokens(m) for m in kept) <= 3 * per_turn + 10


def test_the_current_turn_is_kept_even_over_budget() -> None:
    messages = [*turn(1), ChatMessage("user", "z" * 10_000)]
    assert fit_history(messages, budget=100) == [messages[-1]]


def test_titles_are_cut_at_a_word_and_cleaned() -> None:
    assert title_from("how is the pipeline looking?") == "how is the pipeline looking?"
    long = title_from("word " * 40)
    assert len(long) <= 60 and long.endswith("…") and "  " not in long
    assert clean_title('"VIP contacts overview."\nmore text') == "VIP contacts overview"
    assert clean_title("Title: Pipeline health") == "Pipeline health"


async def test_turns_load_history_within_the_budget(db: Database, settings: Settings) -> None:
    model = ScriptedModel(["ok"])
    agent = Agent(db, settings.model_copy(update={"history_token_budget": 200}), default_registry(),
                  model_factory=lambda _n: model)  # fmt: skip
    principal = (await demo_identity(db)).principal()
    first = await collect(agent, InboundMessage(principal, "first " + "a" * 600))
    conv_id = first[-1].conversation_id
    for text in ("second " + "b" * 300, "third " + "c" * 300):
        await collect(agent, InboundMessage(principal, text, conversation_id=conv_id))
    seen = [m.content.split()[0] for m in model.seen[-1] if m.role == "user"]
    assert seen == ["second", "third"]  # the first turn no longer fits
    async with db.session() as s:
        _, total = await store.list_messages(s, conv_id, limit=10, offset=0)
        conv = await store.get_conversation(s, principal, conv_id)
    assert total == 6  # nothing was deleted from the store
    assert conv.title == title_from("first " + "a" * 600)  # offline: the first message, cut


def test_stated_facts_come_from_the_users_own_words() -> None:
    messages = [
        ChatMessage("user", "Hi, my name is Ana Costa"),
        ChatMessage("assistant", "My name is frontdesk; I work at the front desk."),  # not the user's
        ChatMessage("user", "I look after the Porto team and I'm a sales manager."),
        ChatMessage("user", "I work at Globex. I'm based in Lisbon"),
        ChatMessage("user", "I'm looking for leads"),  # not a name
    ]
    assert stated_facts(messages) == {
        "name": "Ana Costa",
        "team": "Porto team",
        "role": "sales manager",
        "company": "Globex",
        "place": "Lisbon",
    }
    later = [*messages, ChatMessage("user", "call me Ana")]
    assert stated_facts(later)["name"] == "Ana"  # the newest statement wins


def test_turns_stating_facts_are_kept_while_they_fit() -> None:
    turns = [
        ChatMessage("user", "my name is Ana Costa"),
        ChatMessage("assistant", "Noted."),
        ChatMessage("user", "x " * 300),
        ChatMessage("assistant", "long answer"),
        ChatMessage("user", "what's my name?"),
    ]
    kept = fit_history(turns, 60)
    assert [m.content for m in kept] == ["my name is Ana Costa", "Noted.", "what's my name?"]
    assert fit_history(turns, 10) == turns[-1:]  # the current turn always; facts only if they fit
