"""Using what the user told us about their remit: "my contacts", "my leads", "how are my campaigns
doing" are narrowed by the facts stated earlier in the conversation (`memory.stated_facts`), and
the answer says so ("filtered to Google Ads, as you told me").

Only fields the data has are used: a platform narrows campaigns (`platform`), an account the user
looks after narrows contacts (`company`) and leads (text `search`, which covers the lead's
company), a segment narrows contacts by tag. Contacts and leads have no team or city field, so a
team or place the user gave is not applied — the answer says that instead of pretending.
"""

from __future__ import annotations

import re
from dataclasses import replace

from frontdesk.agent.offline.request import Plan

_MY = r"\b(?:my|mine)\b"
_PLATFORMS = {"google": ("google_ads", "Google Ads"), "adwords": ("google_ads", "Google Ads"),
              "meta": ("meta_ads", "Meta Ads"), "facebook": ("meta_ads", "Meta Ads")}  # fmt: skip


def platform_of(fact: str) -> tuple[str, str] | None:
    return _PLATFORMS.get(fact.lower().split()[0]) if fact.strip() else None


def _where(facts: dict[str, str]) -> str:
    """The team or place the user gave, as words: "the Porto team", "Porto"."""
    return f"the {facts['team']}" if facts.get("team") else facts.get("place", "")


def _join(label: str, note: str) -> str:
    return f"{label} ({note})" if label else f"({note})"


def _contacts(plan: Plan, facts: dict[str, str]) -> Plan | None:
    args = dict(plan.arguments)
    if (seg := facts.get("segment")) and not args.get("tags"):
        args["tags"] = [seg]
        note = f"filtered to the {seg} tag, as you told me you look after those contacts"
    elif (client := facts.get("client")) and not args.get("company"):
        args["company"] = client
        note = f"filtered to {client}, as you told me you look after that account"
    elif where := _where(facts):
        note = f"not narrowed to {where}: contacts have no team or city field"
    else:
        return None
    return replace(plan, arguments=args, label=_join(plan.label, note))


def _leads(plan: Plan, facts: dict[str, str]) -> Plan | None:
    args = dict(plan.arguments)
    if (client := facts.get("client")) and not args.get("search"):
        args["search"] = client
        note = f"filtered to {client}, as you told me you look after that account"
    elif where := _where(facts) or (f"the {facts['segment']} contacts" if facts.get("segment") else ""):
        note = f"not narrowed to {where}: leads have no team, city or tag field"
    else:
        return None
    return replace(plan, arguments=args, label=f"{plan.label}; {note}" if plan.label else note)


def _campaigns(plan: Plan, facts: dict[str, str]) -> Plan | None:
    found = platform_of(facts.get("platform", ""))
    if found is None or plan.arguments.get("platform"):
        return None
    platform, name = found
    note = f"Filtered to {name}, as you told me you're in charge of it."
    args = plan.arguments | {"platform": platform}
    if plan.shape == "":  # "how are my campaigns doing": each campaign's spend, conversions, ROAS
        args = args | {"limit": 100}
        label = plan.label or "the last 30 days"
        spec = {"source": "campaigns", "metric": "spend", "period": label, "note": note}
        return replace(plan, arguments=args, intent="summary", label=label, shape="group", spec=spec)
    if plan.shape == "group" and plan.spec.get("source") == "campaigns":
        return replace(plan, arguments=args, spec=plan.spec | {"note": note})
    if plan.shape in {"rank", "filter"}:
        words = f"{name} only, as you told me you're in charge of it"
        spec = plan.spec | ({"words": f"{plan.spec['words']} ({words})"} if "words" in plan.spec else {})
        return replace(
            plan, arguments=args, label=f"{plan.label}, {words}" if plan.label else words, spec=spec
        )
    return None


def apply_facts(plan: Plan, text: str, facts: dict[str, str]) -> Plan:
    """`plan` narrowed by the stated `facts` when the request is about the user's own ("my …")."""
    if not facts or plan.tool is None or not re.search(_MY, text.lower()):
        return plan
    found: Plan | None = None
    if plan.tool == "get_contacts" and plan.shape == "":
        found = _contacts(plan, facts)
    elif plan.tool == "list_leads" and plan.shape == "":
        found = _leads(plan, facts)
    elif plan.tool == "get_campaigns":
        found = _campaigns(plan, facts)
    return found or plan
