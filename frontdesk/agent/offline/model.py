"""`OfflineModel`: the default `ChatModel`. Plans the tool calls of the last user message (one, or
a plan of several rounds: `steps`), and answers from the tool results that follow them. Small talk
is answered without tools (`talk`), using the facts the user stated (`memory.stated_facts`).
Deterministic; no network."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date
from typing import Any

from frontdesk import clock
from frontdesk.agent.memory import stated_facts
from frontdesk.agent.model import (
    ChatMessage,
    ModelChunk,
    TextChunk,
    ToolCall,
    ToolCallChunk,
    ToolSchema,
    UsageChunk,
    estimate_tokens,
)
from frontdesk.agent.offline import compose, greeting, talk
from frontdesk.agent.offline.attachments import answer_from_context
from frontdesk.agent.offline.plan_memo import planned
from frontdesk.agent.offline.planner import CAPABILITIES, Plan
from frontdesk.agent.offline.steps import next_round, result_data, rounds_after, unfinished
from frontdesk.agent.offline.writer import write_answer

WORDS_PER_CHUNK = 6  # an answer streams in chunks of this many words (each chunk is one event
# through the graph, the turn's log and every door: word by word cost ~0.2 ms a turn, issue 15)


class OfflineModel:
    name = "offline"

    def __init__(self, today: Callable[[], date] = clock.today) -> None:
        self._today = today

    def respond(
        self, messages: list[ChatMessage], tools: list[ToolSchema]
    ) -> ToolCall | list[ToolCall] | str:
        """The next step of this turn: tool call(s), or the final answer text."""
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
        if last_user is None:
            return "What would you like to know? " + CAPABILITIES
        results = [m for m in messages[last_user + 1 :] if m.role == "tool"]
        if not results and (quoted := answer_from_context(messages[last_user].content)) is not None:
            return quoted  # a question about attached text: its most relevant passages
        p = planned(messages, self._today())
        available = {t.name for t in tools}
        if p.tool is None and (kind := p.spec.get("talk")):
            return talk.answer(kind, messages[last_user].content, stated_facts(messages), available)
        if p.tool is None:
            return p.clarify or CAPABILITIES
        needed = [p.tool, *(s.tool for s in (*p.parallel, *p.steps))]
        if p.spec.get("writer") == "greeting" and any(t not in available for t in needed):
            fitted = greeting.fit(p, available)  # the reads this user's tools allow
            if fitted is None:
                return greeting.write_greeting(p, [])
            p, needed = fitted, [fitted.tool, *(s.tool for s in fitted.parallel)]
        if missing := [t for t in needed if t not in available]:
            return f"That needs the {missing[0]} tool, which is not available to you here. " + CAPABILITIES
        if p.shape:
            return self._run_plan(p, messages, last_user)
        if not results:
            return ToolCall(id=f"call_{len(messages)}_{p.tool}", name=p.tool, arguments=p.arguments)
        last = results[-1]
        data, error = result_data(last)
        if p.then_tool and last.name == p.tool and error is None:
            return self._then(p, data, available, len(messages))
        return write_answer(Plan(last.name, p.arguments, p.intent, p.label), last.name or "", data, error)

    def _run_plan(self, p: Plan, messages: list[ChatMessage], last_user: int) -> list[ToolCall] | str:
        """The next round of a plan of several calls, or its answer when it is done."""
        rounds = rounds_after(messages, last_user)
        calls = next_round(p, rounds)
        if calls:
            n = len(messages)
            return [ToolCall(f"call_{n}_{i}_{c.tool}", c.tool, c.arguments) for i, c in enumerate(calls)]
        labelled = [
            [replace(o, label=s.label) for o, s in zip(r, p.first_round(), strict=False)] if i == 0 else r
            for i, r in enumerate(rounds)
        ]
        first = labelled[0] if labelled else []
        if p.shape == "compare" and len(first) >= 2:
            return compose.write_compare(p, first)
        if p.shape == "group":
            return compose.write_group(p, first)
        if p.shape == "rank" and first:
            return compose.write_rank(p, first)
        if p.shape == "filter" and first:
            return compose.write_filter(p, first)
        if p.shape == "export" and first:
            return compose.write_export(first[0])
        if (
            p.shape in {"advice", "explain"}
            and first
            and (text := compose.write_advice(first[0])) is not None
        ):
            return text
        if p.shape == "sequence":
            return compose.write_sequence(p, labelled, [*unfinished(p, rounds), *p.spec.get("notes", [])])
        last = first[-1] if first else None
        if last is None:
            return CAPABILITIES
        return write_answer(Plan(last.tool, p.arguments, p.intent, p.label), last.tool, last.data, last.error)

    def _then(self, p: Plan, data: Any, available: set[str], n: int) -> ToolCall | str:
        """After a lookup: the follow-up call on the one record found, or say why not."""
        assert p.then_tool is not None
        rows_key, id_key = ("contacts", "contact_id") if p.tool == "get_contacts" else ("leads", "lead_id")
        rows = data.get(rows_key, []) if isinstance(data, dict) else []
        total = data.get("total", len(rows)) if isinstance(data, dict) else 0
        if total == 1 and rows:
            if p.then_tool not in available:
                return f"That needs the {p.then_tool} tool, which is not available to you here."
            return ToolCall(f"call_{n}_{p.then_tool}", p.then_tool, {id_key: rows[0]["id"], **p.then_args})
        what = rows_key.removesuffix("s")
        if total == 0:
            return (
                f"I found no {what} {p.label}; nothing was changed."
                if p.intent == "action"
                else (f"I found no {what}s {p.label}.")
            )
        listed = "\n".join(f"- {r.get('name', r['id'])} ({r['id']})" for r in rows[:5])
        return f"I found {total} {what}s {p.label}; which one do you mean? Give me its id:\n{listed}"

    async def stream(self, messages: list[ChatMessage], tools: list[ToolSchema]) -> AsyncIterator[ModelChunk]:
        step = self.respond(messages, tools)
        prompt_tokens = sum(estimate_tokens(m.content) for m in messages)
        if isinstance(step, ToolCall):
            step = [step]
        if isinstance(step, list):
            for call in step:
                yield ToolCallChunk(call)
            yield UsageChunk(prompt_tokens, sum(estimate_tokens(json.dumps(c.arguments)) + 5 for c in step))
            return
        words = step.split(" ")  # a few words a chunk, as providers stream a few tokens at a time
        for at in range(0, len(words), WORDS_PER_CHUNK):
            chunk = " ".join(words[at : at + WORDS_PER_CHUNK])
            yield TextChunk(chunk if at + WORDS_PER_CHUNK >= len(words) else chunk + " ")
        yield UsageChunk(prompt_tokens, estimate_tokens(step))
