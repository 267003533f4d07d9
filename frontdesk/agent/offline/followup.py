"""Follow-ups: a message that refines the previous turn ("only the ones from referral", "what about
last month?", "how many of them are VIP?") reuses that turn's tool and arguments, refined.

The previous turn is read from the conversation history in the messages: its first tool call and
that call's arguments (whichever model made it). Without one, a follow-up gets a short question.
A new request about the user's own records ("show my contacts") is narrowed by the facts they
stated earlier in the conversation (`personal`), and a greeting uses their name.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from frontdesk.agent.memory import stated_facts
from frontdesk.agent.model import ChatMessage, ToolCall
from frontdesk.agent.offline import crm_rules, personal
from frontdesk.agent.offline.labels import label_for
from frontdesk.agent.offline.planner import CAPABILITIES, plan
from frontdesk.agent.offline.request import LIST_LIMIT, Plan, Request, date_args
from frontdesk.periods import parse_period

_REFINE_START = re.compile(
    r"^(?:only|just|and|but|what about|how about|same|now|then|also|ok(?:ay)?|which of"
    r"|of (?:those|them|these)"
    r"|filter|narrow|excluding|without|show (?:me )?(?:them|those|these)|list (?:them|those|these))\b"
)
_ANAPHORA = re.compile(r"\b(?:them|those|these|the ones|ones|that list|same|of which)\b")
_NARROW = re.compile(r"^(?:only|just|of (?:those|them|these)|which of|filter|narrow)\b|\bof (?:them|those)\b")
_DATE_KEYS = {
    "get_contacts": ("created_from", "created_to"),
    "list_leads": ("created_from", "created_to"),
    "search_messages": ("date_from", "date_to"),
    **{
        tool: ("start_date", "end_date")
        for tool in (
            "get_campaigns",
            "get_ad_performance",
            "get_ga4_metrics",
            "get_top_pages",
            "get_traffic_sources",
        )
    },
}


def last_user_index(messages: list[ChatMessage]) -> int | None:
    return max((i for i, m in enumerate(messages) if m.role == "user"), default=None)


def previous_call(messages: list[ChatMessage], before: int) -> tuple[ToolCall | None, str]:
    """The first tool call of the turn before message `before`, and that turn's user text."""
    prev_user = max((i for i, m in enumerate(messages[:before]) if m.role == "user"), default=None)
    if prev_user is None:
        return None, ""
    for msg in messages[prev_user + 1 : before]:
        if msg.role == "assistant" and msg.tool_calls:
            return msg.tool_calls[0], messages[prev_user].content
    return None, messages[prev_user].content


def refinement(tool: str, req: Request, narrow: bool, previous: dict[str, Any]) -> dict[str, Any]:
    """Arguments the message adds to (or changes in) a previous call of `tool`."""
    args: dict[str, Any] = {}
    if tool == "list_leads":
        args, _ = crm_rules.lead_filters(req)
    elif tool == "get_contacts":
        args, _, _ = crm_rules.contact_filters(req)
        tags = args.get("tags")
        if tags and narrow:
            old = [t for t in previous.get("tags") or [] if t.lower() not in {x.lower() for x in tags}]
            args["tags"] = old + tags
    if tool in _DATE_KEYS and req.when:
        args |= date_args(req.when, *_DATE_KEYS[tool])
    return {k: v for k, v in args.items() if k not in {"sort", "order"} or tool == "get_contacts"}


def is_followup(req: Request, current: Plan, prev: ToolCall | None) -> bool:
    refers = bool(_REFINE_START.search(req.low) or _ANAPHORA.search(req.low))
    if current.tool is None:
        return refers or (prev is not None and bool(refinement(prev.name, req, False, prev.arguments)))
    return prev is not None and refers and current.tool == prev.name and len(req.low.split()) <= 12


def _replan(prev_text: str, req: Request, today: date) -> Plan | None:
    """A previous comparison, group-by or ranking asked again for another period ("what about last
    month?"): the previous words with the new period in place of the old one."""
    before = Request.of(prev_text, today)
    if req.when is None or plan(prev_text, today).shape not in {"compare", "group", "rank"}:
        return None
    words = (
        before.low.replace(before.when.phrase, " ", 1) if before.when and before.when.phrase else before.low
    )
    again = plan(f"{words} {req.when.phrase}", today)
    return replace(again, followup=True) if again.tool is not None else None


def _with_facts(p: Plan, text: str, facts: dict[str, str]) -> Plan:
    """The greeting with the user's name; "my contacts" / "my campaigns" narrowed by their remit."""
    if p.spec.get("writer") == "greeting" and facts.get("name"):
        return replace(p, spec=p.spec | {"name": facts["name"]})
    return personal.apply_facts(p, text, facts)


def plan_turn(messages: list[ChatMessage], today: date) -> Plan:
    """Plan the latest user message of `messages`, as a follow-up of the previous turn if it is one."""
    index = last_user_index(messages)
    if index is None:
        return Plan(None, clarify="What would you like to know? " + CAPABILITIES)
    text = messages[index].content
    current = plan(text, today)
    prev, prev_text = previous_call(messages, index)
    req = Request.of(text, today)
    if not is_followup(req, current, prev):
        return _with_facts(current, text, stated_facts(messages[:index]))
    if prev is None:
        return Plan(
            None,
            clarify="Which results do you mean? Ask the whole question, for example "
            "'which leads came from referral last month?'",
            followup=True,
        )
    if (again := _replan(prev_text, req, today)) is not None:
        return again
    narrow = bool(_NARROW.search(req.low))
    changes = refinement(prev.name, req, narrow, prev.arguments)
    if not changes and not req.counting and not re.search(r"\b(?:show|list)\b", req.low):
        return Plan(None, clarify=f"How should I change the previous {prev.name} request? " + CAPABILITIES)
    args = dict(prev.arguments)
    if prev.name in _DATE_KEYS and req.when:
        for key in _DATE_KEYS[prev.name]:
            args.pop(key, None)
    args |= changes
    counting = req.counting or (
        not re.search(r"\b(?:show|list|which|who)\b", req.low) and args.get("limit") == 1
    )
    if "limit" in args:
        args["limit"] = 1 if counting else LIST_LIMIT
        args.pop("offset", None)
    intent = "count" if counting else ("list" if "limit" in args else "summary")
    when = req.when or parse_period(prev_text, today)  # "last month" stays "last month"
    return Plan(prev.name, args, intent, label_for(prev.name, args, when), followup=True)
