"""Conversation memory: earlier turns of the conversation, within a token budget.

The history is cut at turn boundaries (a turn starts at a user message), so a tool result never
loses the call it answers. The newest turns are kept; the oldest are dropped first. The current
turn is always kept, even when it alone is over the budget.
"""

from __future__ import annotations

import json

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
    """The newest whole turns of `messages` whose estimated tokens fit in `budget`."""
    turns = split_turns(messages)
    kept: list[list[ChatMessage]] = []
    used = 0
    for turn in reversed(turns):
        cost = sum(message_tokens(m) for m in turn)
        if kept and used + cost > budget:
            break
        kept.append(turn)
        used += cost
    return [m for turn in reversed(kept) for m in turn]


def history_row_limit(budget: int) -> int:
    """How many stored messages to read for a budget: enough for short messages, but bounded."""
    return max(40, min(2_000, budget // 20))
