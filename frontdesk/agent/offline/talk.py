"""Small talk and help, answered without tools: greetings, thanks, goodbyes, "who are you / what can
you do", statements of fact about the user ("my name is Ana") and questions about them ("what's my
name?"). A greeting says what frontdesk can do with the tools this user has here, with two or three
example questions for them, and uses the name the user gave, if any (`memory.stated_facts`).
A request for help ("who are you and what can you do?") is not answered here: `wants_help` sends
it to `greeting`, whose examples come from the account's own data (two small reads).
"""

from __future__ import annotations

import re
from typing import Literal

from frontdesk.agent.memory import FACT_PATTERNS

Talk = Literal["greeting", "thanks", "bye", "help", "fact", "recall"]

_GREETING = r"^(?:hi|hello|hey|hiya|howdy|yo|good (?:morning|afternoon|evening)|greetings|hola|ola|olá)\b"
_THANKS = r"^(?:thanks?|thank you|thx|ty|cheers|much appreciated|(?:great|ok(?:ay)?|perfect),? thanks)\b"
_BYE = r"^(?:bye|goodbye|see you|see ya|later|good ?night|that'?s all)\b"
_HELP = (
    r"\bwho are you\b|\bwhat can you do\b|\bwhat do you do\b|\bwhat are you\b|\bhow can you help\b"
    r"|\bwhat can you help(?: me)?(?: with)?\b|\bcan you help me\b\W*$"
    r"|^help\b|\bwhat can i ask\b|\bwhat are you able to\b|\bhow do(?:es)? (?:this|you) work\b"
)
_RECALL = (
    r"\bwhat(?:'s| is) my name\b|\bwho am i\b|\bwho i am\b|\bdo you (?:know|remember) (?:my name|me)\b"
    r"|\bwhich team do i\b|\bwhat team do i\b|\bwhat do you know about me\b|\bwhere do i work\b"
    r"|\bwhat(?:'s| is) my (?:team|role|job|company)\b|\bwhere am i based\b"
)
# example questions by the tool that answers them: shown only when the user has that tool here
EXAMPLES = (
    ("pipeline_summary", "How is the pipeline looking?"),
    ("list_leads", "Leads per source last month"),
    ("get_campaigns", "Top 3 campaigns by ROAS last month"),
    ("get_ad_performance", "Compare Google Ads and Meta Ads spend last month"),
    ("marketing_advice", "Which campaigns should I pause?"),
    ("get_contacts", "How many contacts are tagged VIP?"),
    ("create_contact", "Add a contact named Jane Doe and tag her VIP"),
    ("export_data", "Export the VIP contacts to CSV"),
    ("list_helpers", "List my automations"),
    ("search_messages", "Search messages for refund"),
)
ABILITIES = {
    "get_contacts": "look up and count contacts",
    "list_leads": "list, group and rank leads",
    "create_contact": "add, tag and update contacts",
    "create_lead": "create and update leads",
    "get_ad_performance": "report and compare ad results",
    "marketing_advice": "recommend what to do with your campaigns",
    "get_ga4_metrics": "report website traffic",
    "export_data": "export data to CSV",
    "list_helpers": "run your automations",
    "search_messages": "search past messages",
}


def kind(low: str) -> Talk | None:
    """What kind of small talk `low` (the lower-cased message) is, if it is only small talk."""
    words = len(low.split())
    if re.search(_RECALL, low):
        return "recall"
    if re.search(_HELP, low) and words <= 14:
        return "help"
    if re.search(_GREETING, low) and (words <= 4 or re.search(_HELP, low)):
        return "greeting"
    if re.search(_THANKS, low) and words <= 6:
        return "thanks"
    if re.search(_BYE, low) and words <= 5:
        return "bye"
    return None


def wants_help(talk: Talk, low: str) -> bool:
    """Small talk that asks what frontdesk can do (answered with examples from the account's data)."""
    return talk == "help" or (talk == "greeting" and re.search(_HELP, low) is not None)


def states_facts(text: str) -> bool:
    """A message that only tells us about the user (no request in it)."""
    if not any(p.search(text) for _, p in FACT_PATTERNS):
        return False
    return not re.search(
        r"\?|\b(?:show|list|find|how many|what|which|create|add|tag|export|compare)\b", text, re.I
    )


def _examples(available: set[str]) -> list[str]:
    return [q for tool, q in EXAMPLES if tool in available][:3]


def _abilities(available: set[str]) -> str:
    found = [words for tool, words in ABILITIES.items() if tool in available]
    if not found:
        return "answer questions about this account"
    return "; ".join(found[:-1]) + ("; and " if len(found) > 1 else "") + found[-1]


# How each kind of stated fact is said back, in this order ("role" takes an article).
_ABOUT = (
    ("name", "your name is {}"),
    ("role", "you are {}"),
    ("team", "you look after the {}"),
    ("company", "you work at {}"),
    ("place", "you are based in {}"),
    ("platform", "you are in charge of {}"),
    ("client", "you look after the {} account"),
    ("segment", "you look after the {} contacts"),
)


def _about(facts: dict[str, str]) -> str:
    parts = [
        said.format(_article(facts[key]) if key == "role" else facts[key])
        for key, said in _ABOUT
        if key in facts
    ]
    return "; ".join(parts)


def _article(role: str) -> str:
    return ("an " if role[:1].lower() in "aeiou" else "a ") + role


def answer(talk: Talk, text: str, facts: dict[str, str], available: set[str]) -> str:
    """The reply to small talk, from the tools this user has here and the facts they stated."""
    name = facts.get("name")
    hello = f"Hi {name}!" if name else "Hi!"
    if talk == "thanks":
        return f"You're welcome{', ' + name if name else ''}. Anything else?"
    if talk == "bye":
        return f"Bye{' ' + name if name else ''}; the conversation stays here when you come back."
    if talk == "fact":
        return f"Noted: {_about(facts)}. I'll keep that in mind in this conversation."
    if talk == "recall":
        known = _about(facts)
        if not known:
            return "You haven't told me about yourself in this conversation yet (try 'my name is …')."
        return f"You told me {known}."
    examples = _examples(available)
    lines = [
        f"{hello} I'm frontdesk, the assistant for this account. Here I can {_abilities(available)}.",
    ]
    if examples:
        lines.append("Try, for example:")
        lines += [f"- {q}" for q in examples]
    return "\n".join(lines)
