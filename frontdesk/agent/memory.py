"""Conversation memory: earlier turns of the conversation, within a token budget.

The history is cut at turn boundaries (a turn starts at a user message), so a tool result never
loses the call it answers. The newest turns are kept; the oldest are dropped first. The current
turn is always kept, even when it alone is over the budget.

`stated_facts` reads what the user said about themselves ("my name is Ana", "I look after the
Porto team") from their messages, for answers that use it; older turns that state such facts are
kept in the history while they fit the budget (after the newest turns). Facts about what the user
looks after ("I'm in charge of Google Ads", "I look after the Acme Corp account", "I manage the
VIP customers") narrow their later "my contacts" / "my campaigns" requests.
"""

from __future__ import annotations

import json
import re

from frontdesk.agent.model import ChatMessage, estimate_tokens

MESSAGE_OVERHEAD = 4  # role and framing tokens every provider adds per message


def message_tokens(msg: ChatMessage) -> int:
    calls = sum(estimate_tokens(c.name + json.dumps(c.arguments, default=str)) for c in msg.tool_calls)
    return MESSAGE_OVERHEAD + estimate_tokens(msg.content) + calls


def split_turns(messages: list[ChatMessage]) -> list[list[ChatMessage]]:
    """Group messages into turns; anything before the first user message is its own group."""
    turns: list[list[ChatMessage]] = []
    for msg in messages:
        if msg.role == "user" or not turns:
            turns.append([msg])
        else:
            turns[-1].append(msg)
    return turns


def fit_history(messages: list[ChatMessage], budget: int) -> list[ChatMessage]:
    """The newest whole turns of `messages` whose estimated tokens fit in `budget`; then, while
    they still fit, older turns in which the user stated facts about themselves ("my name is …"),
    so those are not forgotten when the conversation grows."""
    turns = split_turns(messages)
    costs = [sum(message_tokens(m) for m in turn) for turn in turns]
    kept: set[int] = set()
    used = 0
    for i in reversed(range(len(turns))):
        if kept and used + costs[i] > budget:
            break
        kept.add(i)
        used += costs[i]
    for i in reversed(range(min(kept, default=0))):
        if _states_facts(turns[i]) and used + costs[i] <= budget:
            kept.add(i)
            used += costs[i]
    return [m for i in sorted(kept) for m in turns[i]]


def _states_facts(turn: list[ChatMessage]) -> bool:
    return turn[0].role == "user" and any(p.search(turn[0].content) for _, p in FACT_PATTERNS)


def history_row_limit(budget: int) -> int:
    """How many stored messages to read for a budget: enough for short messages, but bounded."""
    return max(40, min(2_000, budget // 20))


# Stated facts: what the user told us about themselves in this conversation ("my name is Ana",
# "I look after the Porto team"). Read from the user's own messages, newest statement wins.
_NAME = r"([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
_LOOKS_AFTER = (
    r"\b[Ii](?:'m|\s+am)?\s+"
    r"(?:[Ii]n charge of|responsible for|look(?:ing)? after|manage|handle|own|run)\s+"
)
FACT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("name", re.compile(r"\bmy name(?:'s| is)\s+" + _NAME)),
    (
        "name",
        re.compile(
            r"\b(?:call me|[Ii] am|[Ii]'m|this is)\s+" + _NAME + r"(?=\s*(?:[,.!]|$|\s+(?:and|from|here)\b))"
        ),
    ),
    (
        "team",
        re.compile(
            r"(?i)\bi\s+(?:look after|manage|run|lead|head|am in charge of|work (?:in|on|with))\s+"
            r"(?:the\s+|our\s+)?([\w' &-]+?\s+team)\b"
        ),
    ),
    ("company", re.compile(r"\b[Ii] work (?:at|for)\s+([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,2})")),
    (
        "role",
        re.compile(
            r"(?i)\bi(?:'m| am)\s+(?:a|an|the)\s+([a-z ]{0,30}?(?:manager|lead|director|head|owner|rep"
            r"|analyst|marketer|founder|ceo|cto|engineer|assistant|coordinator|consultant))\b"
        ),
    ),
    ("place", re.compile(r"\b[Ii](?:'m| am) based in\s+([A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)")),
    # what the user looks after, used to narrow "my contacts" / "my campaigns" (`offline.personal`)
    (
        "platform",
        re.compile(_LOOKS_AFTER + r"(?:the\s+|our\s+)?((?:google|meta|facebook) ads|adwords)\b", re.I),
    ),
    ("client", re.compile(_LOOKS_AFTER + r"(?:the\s+)?([A-Z][\w&-]*(?:\s+[A-Z][\w&-]*){0,2})\s+account\b")),
    (
        "segment",
        re.compile(
            _LOOKS_AFTER + r"(?:the\s+|our\s+)?([\w-]+)\s+(?:customers|contacts|clients|accounts)\b", re.I
        ),
    ),
)


def stated_facts(messages: list[ChatMessage]) -> dict[str, str]:
    """Facts the user stated about themselves in `messages` (user messages only)."""
    facts: dict[str, str] = {}
    for msg in messages:
        if msg.role != "user":
            continue
        for key, pattern in FACT_PATTERNS:
            if (m := pattern.search(msg.content)) and m.group(1).lower() not in _NOT_VALUES.get(key, ()):
                facts[key] = m.group(1).strip()
    return facts


_NOT_NAMES = {"here", "back", "new", "sorry", "fine", "good", "ok", "okay", "not", "looking", "trying", "the"}
_NOT_VALUES = {
    "name": _NOT_NAMES,
    "segment": {"our", "my", "the", "all", "these", "those", "some", "many", "other", "most", "new", "key"},
}
