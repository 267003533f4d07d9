"""Planner rules for group-by questions ("leads per source", "last month's pipeline", "spend by
platform") and rankings ("top 3 campaigns by ROAS", "the 5 biggest deals", "which platform had the
most clicks").

A lead group-by is one counting call per group (`list_leads` with `limit` 1, all in one round), so
each row's count and value are the tool's own totals; the all-time pipeline by status stays
`pipeline_summary`. Campaign and platform rankings sort the rows `get_campaigns` /
`get_ad_performance` returned; lead rankings ask `list_leads` to sort by value.

Contacts by tag or company take two rounds: three pages of `get_contacts` find the tags /
companies in use (`DISCOVER_PAGES` x 100 contacts; beyond that the answer says which share was
seen), then one counting `get_contacts` per value (`Step.group`), each row that call's total.
Spend, clicks or conversions per campaign are the rows `get_campaigns` returned; messages per
channel are `daily_stats`' own breakdown. Groupings the data has no field for (contacts by source,
leads by owner or assignee) get a plain answer saying so and what to ask instead.
"""

from __future__ import annotations

import re

from frontdesk.agent.offline.compare_rules import PLATFORM_WORDS, ad_metric
from frontdesk.agent.offline.crm_rules import (
    CONTACT_NOUN,
    LEAD_NOUN,
    LEAD_SOURCES,
    contact_filters,
    lead_filters,
    value_bounds,
)
from frontdesk.agent.offline.figures import AD_METRICS
from frontdesk.agent.offline.request import Plan, Request, Step, date_args

STATUSES = ("new", "contacted", "qualified", "converted")
_BY = r"\b(?:per|by|for each|each|across|broken down by|split by|grouped by|breakdown by)\s+(?:lead\s+)?"
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10}  # fmt: skip


def _group_leads(req: Request, key: str) -> Plan:
    filters, label = lead_filters(req)
    base = {k: v for k, v in filters.items() if k != key} | req.created_range() | {"limit": 1}
    if req.when:
        label.append(req.when.label)
    values = LEAD_SOURCES if key == "source" else STATUSES
    steps = [Step("list_leads", base | {key: v}, v) for v in values]
    metric = "total_value" if req.has(r"\bvalue\b|\bworth\b|\brevenue\b|\bamount\b") else "total"
    spec = {"key": key, "noun": "leads", "metric": metric, "first_label": steps[0].label}
    return Plan("list_leads", steps[0].arguments, "summary", " ".join(label),
                parallel=tuple(steps[1:]), shape="group", spec=spec)  # fmt: skip


DISCOVER_PAGES = 3  # pages of 100 contacts read to find the tags / companies in use
_CONTACT_KEYS = {
    "tag": ("tags", r"(?:tags?|labels?|segments?)"),
    "company": ("company", r"(?:compan(?:y|ies)|organi[sz]ations?|employers?)"),
}
_NO_FIELD = (
    (CONTACT_NOUN, r"(?:lead )?(?:sources?|channels?|origins?)",
     "Contacts have no source field in this CRM; leads do. Try 'leads per source', or 'contacts by tag'."),
    (LEAD_NOUN,
     r"(?:owners?|assignees?|assigned (?:rep|user)s?|sales ?reps?|salespe(?:rson|ople)|users?|agents?)",
     "Leads have no owner or assignee field in this CRM, so I can't split them by owner. I can group "
     "them by source or status, e.g. 'leads per source last month'."),
    (LEAD_NOUN, r"(?:compan(?:y|ies)|cit(?:y|ies)|teams?|regions?|countr(?:y|ies))",
     "Leads can't be filtered by company, city or team here, so I can't group them that way; contacts "
     "can be grouped by company ('contacts per company')."),
)  # fmt: skip


def rule_no_field(req: Request) -> Plan | None:
    """A group-by the data has no field for: say so, and what can be asked instead."""
    for noun, field, say in _NO_FIELD:
        if req.has(_BY + field + r"\b") and req.has(noun):
            if noun == CONTACT_NOUN and req.has(LEAD_NOUN):
                continue
            return Plan(None, clarify=say, spec={"no_field": True})
    return None


def rule_contact_groups(req: Request) -> Plan | None:
    """ "contacts per tag", "VIP contacts by company": find the values in use, then count each."""
    if not req.has(CONTACT_NOUN) or req.has(LEAD_NOUN):
        return None
    for key, (arg, words) in _CONTACT_KEYS.items():
        if m := re.search(_BY + words + r"\b", req.low):
            rest = Request.of(req.text[: m.start()] + " " + req.text[m.end() :], req.today)
            if rest.low.split()[:2] == ["how", "many"]:  # "how many contacts per tag": not a tag 'per'
                rest = Request.of(" ".join(rest.text.split()[2:]), req.today)
            filters, label, _ = contact_filters(rest)
            filters = {k: v for k, v in filters.items() if k not in {"sort", "order", "search"}}
            pages = [filters | {"limit": 100, "offset": 100 * i} for i in range(DISCOVER_PAGES)]
            count = Step("get_contacts", filters | {"limit": 1}, f"contacts per {key}", group=arg)
            spec = {"writer": "groups", "key": key, "arg": arg, "noun": "contacts", "first_label": "contacts"}
            return Plan("get_contacts", pages[0], "summary", " ".join(label),
                        parallel=tuple(Step("get_contacts", a, "contacts") for a in pages[1:]),
                        steps=(count,), shape="sequence", spec=spec)  # fmt: skip
    return None


def rule_campaign_groups(req: Request) -> Plan | None:
    """ "spend per campaign", "clicks by campaign last month": each campaign's own figure."""
    if not req.has(_BY + r"(?:ad )?campaigns?\b"):
        return None
    platform = next((p for p, words in PLATFORM_WORDS.items() if req.has(words)), None)
    args = {"limit": 100} | ({"platform": platform} if platform else {})
    args |= date_args(req.when, "start_date", "end_date")
    label = req.when.label if req.when else "the last 30 days"
    spec = {"source": "campaigns", "metric": ad_metric(req), "period": label}
    return Plan("get_campaigns", args, "summary", label, shape="group", spec=spec)


def rule_message_channels(req: Request) -> Plan | None:
    """ "messages per channel this month": `daily_stats`' breakdown of messages by door."""
    if not (req.has(r"\bmessages?\b|\bconversations?\b") and req.has(_BY + r"(?:channels?|doors?)\b")):
        return None
    days = 30
    if req.when and req.when.start:
        days = max(1, min(366, (req.today - req.when.start).days + 1))
    metric = "conversations_started" if req.has(r"\bconversations?\b") else "messages_sent"
    label = f"the last {days} days" if days > 1 else "today"
    spec = {"source": "stats", "key": "channel", "noun": metric.split("_")[0], "period": label}
    if req.when and req.when.end and req.when.end < req.today:  # daily_stats counts back from today
        spec["note"] = f"Note: this count runs from {req.when.label} up to today, not just {req.when.label}."
    return Plan(
        "daily_stats", {"metric_type": metric, "days": days}, "summary", label, shape="group", spec=spec
    )


def rule_group(req: Request) -> Plan | None:
    source = req.has(_BY + r"(?:source|channel)s?\b") or req.has(
        r"\b(?:from each|which|what|best|top) (?:lead )?source\b|\bsources? of (?:our |my )?leads\b"
    )
    status = req.has(_BY + r"(?:status|stage)(?:es)?\b")
    pipeline = req.has(r"\bpipeline\b|\bfunnel\b") and req.when is not None
    if req.has(
        r"\bads?\b|\bcampaigns?\b|\bspend\b|\bclicks\b|\bimpressions\b|\bconversions\b|\broas\b|\bcpa\b"
    ):
        if req.has(_BY + r"platforms?\b"):
            period = date_args(req.when, "start_date", "end_date")
            metric = ad_metric(req)
            label = req.when.label if req.when else "the last 30 days"
            return Plan("get_ad_performance", period, "summary", label, shape="group",
                        spec={"source": "ads", "metric": metric, "period": label})  # fmt: skip
        return None
    if source and (req.has(LEAD_NOUN) or req.has(r"\bsources?\b")):
        return _group_leads(req, "source")
    if (status and req.has(LEAD_NOUN) and (req.when or lead_filters(req)[0])) or pipeline:
        return _group_leads(req, "status")
    return None


def _count(req: Request, default: int) -> int:
    words = "|".join(_NUMBER_WORDS)
    m = re.search(rf"\b(?:top|bottom|best|worst|biggest|largest|smallest|first)\s+(\d+|{words})\b", req.low)
    m = m or re.search(
        rf"\b(\d+|{words})\s+(?:most|least|biggest|largest|smallest|best|worst|top)\b", req.low
    )
    if m:
        n = m.group(1)
        return max(1, min(10, int(n) if n.isdigit() else _NUMBER_WORDS[n]))
    return default


def rule_rank(req: Request) -> Plan | None:
    worst = req.has(r"\b(?:worst|bottom|lowest|weakest|poorest)\b|(?<!at )\bleast\b")
    ranked = worst or req.has(
        r"\b(?:top|best|highest|most|biggest|largest|smallest|strongest|rank(?:ed|ing)?)\b"
    )
    if not ranked:
        return None
    if req.has(r"\bcampaigns?\b"):
        platform = next((p for p, words in PLATFORM_WORDS.items() if req.has(words)), None)
        args = {"limit": 100} | ({"platform": platform} if platform else {})
        args |= date_args(req.when, "start_date", "end_date")
        single = req.has(
            r"\bwhich campaign\b|\bthe (?:best|worst|top) campaign\b|\bcampaign (?:had|has|with)\b"
        )
        spec = {"metric": ad_metric(req), "best": not worst, "n": 1 if single else _count(req, 5),
                "judge": req.has(r"\bbest\b|\bworst\b"), "of": "campaigns"}  # fmt: skip
        return Plan(
            "get_campaigns", args, "list", req.when.label if req.when else "", shape="rank", spec=spec
        )
    if req.has(r"\bplatforms?\b|\bchannel\b") and req.has(
        r"\bads?\b|\bclicks|\bspend|\bconversions|\broas|\bcpa|\bcpc|\bctr"
    ):
        args = date_args(req.when, "start_date", "end_date")
        spec = {"metric": ad_metric(req), "best": not worst, "n": 2, "judge": True, "of": "platforms"}
        return Plan(
            "get_ad_performance", args, "summary", req.when.label if req.when else "", shape="rank", spec=spec
        )
    by_value = req.has(r"\bvalue\b|\bvaluable\b|\bbiggest\b|\blargest\b|\bsmallest\b|\bworth\b")
    if req.has(LEAD_NOUN) and (by_value or req.has(r"\btop (?:\d+|" + "|".join(_NUMBER_WORDS) + r")\b")):
        smallest = req.has(r"\bsmallest\b|\blowest\b|\bleast valuable\b|\bbottom\b")
        filters, label = lead_filters(req)
        if req.when:
            label.append(req.when.label)
        args = filters | req.created_range() | {"sort": "value", "order": "asc" if smallest else "desc"}
        args["limit"] = _count(req, 5)
        return Plan("list_leads", args, "list", " ".join(label), shape="rank", spec={"order": args["order"]})
    return None


def rule_campaign_filter(req: Request) -> Plan | None:
    """ "campaigns with spend over $5k last month", "campaigns with no conversions": `get_campaigns`,
    the rows kept by the writer on the figure each campaign returned."""
    if not req.has(r"\bcampaigns?\b"):
        return None
    bounds, said = value_bounds(req.low, cent=0)
    if req.has(r"\b(?:no|zero|without(?: any)?) conversions\b"):
        bounds, said, metric = {"max_value": 0.0}, ["with no conversions"], "conversions"
    elif bounds:
        metric = ad_metric(req)
    else:
        return None
    platform = next((p for p, words in PLATFORM_WORDS.items() if req.has(words)), None)
    args = {"limit": 100} | ({"platform": platform} if platform else {})
    args |= date_args(req.when, "start_date", "end_date")
    name = AD_METRICS[metric]
    said = [w.replace("worth", f"with {name.name}") for w in said]
    if name.kind != "money":
        said = [w.replace("$", "") for w in said]
    label = " ".join(said) + (f" ({req.when.label})" if req.when else "")
    spec = {"metric": metric, "min": bounds.get("min_value"), "max": bounds.get("max_value"), "words": label}
    spec |= {"strict": [bool(bounds.get("min_strict")), bool(bounds.get("max_strict"))]}
    return Plan("get_campaigns", args, "list", label, shape="filter", spec=spec)


RULES = (
    rule_no_field,
    rule_contact_groups,
    rule_campaign_groups,
    rule_message_channels,
    rule_group,
    rule_campaign_filter,
    rule_rank,
)
