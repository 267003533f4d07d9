"""Planner rules for comparisons: two periods, two ad platforms or two lead sources, each fetched
by its own call (both in one round), then compared by the writer (`compose.write_compare`):
the figures, their difference in numbers and %, and a one-line verdict.
"""

from __future__ import annotations

import re
from typing import Any

from frontdesk.agent.offline.crm_rules import LEAD_NOUN, LEAD_SOURCES, lead_filters
from frontdesk.agent.offline.figures import AD_METRICS
from frontdesk.agent.offline.request import Plan, Request, Step, date_args
from frontdesk.periods import Period, parse_period, previous_period

COMPARE = r"\b(?:vs\.?|versus|compared? (?:to|with)|against|compare|comparison|relative to)\b"
_PREVIOUS = (
    r"\b(?:previous|prior|preceding) (?:period|week|month|quarter|year)"
    + r"|\b(?:the )?(?:week|month|period) before\b"
)
AD_METRIC_WORDS = (
    (r"\bcpc\b|cost per click", "cpc"),
    (r"\bcpa\b|cost per (?:acquisition|conversion|lead)", "cpa"),
    (r"\broas\b|return on ad spend", "roas"),
    (r"\bctr\b|click[- ]?through", "ctr"),
    (r"\bconversion value\b", "conversion_value"),
    (r"\bconversions?\b|\bconverted\b", "conversions"),
    (r"\bclicks?\b", "clicks"),
    (r"\bimpressions?\b|\breach\b", "impressions"),
    (r"\bspend\b|\bspent\b|\bcosts?\b|\bbudget\b", "spend"),
)
PLATFORM_WORDS = {
    "google_ads": r"\bgoogle(?: ads)?\b|\badwords\b",
    "meta_ads": r"\bmeta(?: ads)?\b|\bfacebook\b|\binstagram\b",
}
PLATFORM_NAMES = {"google_ads": "Google Ads", "meta_ads": "Meta Ads"}
_WEB = r"\bsessions\b|\bvisitors\b|\busers\b|\bpage ?views\b|\bwebsite traffic\b|\btraffic\b"
_ADS = r"\bads?\b|\bcampaigns?\b|\badvertising\b|\bgoogle\b|\bmeta\b|\bfacebook\b"


def ad_metric(req: Request, default: str = "spend") -> str:
    return next((m for words, m in AD_METRIC_WORDS if req.has(words)), default)


def _web_metric(req: Request) -> str:
    for words, key in ((r"\bpage ?views\b", "page_views"), (r"\busers\b|\bvisitors\b", "users")):
        if req.has(words):
            return key
    return "sessions"


def two_periods(req: Request) -> tuple[Period, Period] | None:
    first = req.when
    if first is None:
        return None
    rest = req.low.replace(first.phrase, " ", 1) if first.phrase else req.low
    second = parse_period(rest, req.today)
    if second is None and (
        req.has(_PREVIOUS) or re.search(COMPARE + r"\s+(?:the\s+)?(?:last|previous|before)\b", rest)
    ):
        second = previous_period(first)
    return (first, second) if second is not None else None


def _platforms(req: Request) -> list[str]:
    found = [(m.start(), p) for p, words in PLATFORM_WORDS.items() if (m := re.search(words, req.low))]
    return [p for _, p in sorted(found)]


def _sources(req: Request) -> list[str]:
    found = [(m.start(), s) for s in LEAD_SOURCES if (m := re.search(rf"\b{s}s?\b", req.low))]
    return [s for _, s in sorted(found)]


def _ads(req: Request, args: dict[str, Any], a: Step, b: Step) -> Plan:
    metric = ad_metric(req)
    spec = {"source": "ads", "metric": metric, "title": AD_METRICS[metric].name, "first_label": a.label}
    second = Step("get_ad_performance", args | b.arguments, b.label)
    first = args | a.arguments
    return Plan(
        "get_ad_performance", first, "summary", a.label, parallel=(second,), shape="compare", spec=spec
    )


def rule_compare(req: Request) -> Plan | None:
    versus = req.has(COMPARE) or req.has(_PREVIOUS)
    platforms = _platforms(req)
    if req.has(r"\brevenue\b|\bdashboard\b|\bkpis?\b"):
        return None
    if len(platforms) == 2 and (versus or req.has(r"\bwhich\b|\bor\b|\bbetter\b")):
        period = date_args(req.when, "start_date", "end_date")
        a, b = (Step("", {"platform": p}, PLATFORM_NAMES[p]) for p in platforms)
        plan = _ads(req, period, a, b)
        label = req.when.label if req.when else "the last 30 days"
        return Plan(plan.tool, plan.arguments, "summary", label,
                    parallel=plan.parallel, shape="compare", spec=plan.spec | {"period": label})  # fmt: skip
    if not versus:
        return None
    periods = two_periods(req)
    sources = _sources(req)
    if periods is None and len(sources) == 2 and req.has(LEAD_NOUN):
        filters, _ = lead_filters(req)
        base = {k: v for k, v in filters.items() if k != "source"} | req.created_range() | {"limit": 1}
        spec = {"metric": "total", "noun": "leads", "title": "leads", "also": ["total_value"]}
        a, b = (Step("list_leads", base | {"source": s}, s) for s in sources)
        if req.when:
            spec["period"] = req.when.label
        return Plan("list_leads", a.arguments, "count", a.label, parallel=(b,), shape="compare",
                    spec=spec | {"first_label": a.label})  # fmt: skip
    if periods is None:
        return None
    one, two = periods
    if req.has(_ADS) or req.has(r"\b(?:cpc|cpa|roas|ctr|spend|impressions|clicks)\b"):
        platform = {"platform": platforms[0]} if platforms else {}
        a = Step("", date_args(one, "start_date", "end_date"), one.label)
        b = Step("", date_args(two, "start_date", "end_date"), two.label)
        return _ads(req, platform, a, b)
    if req.has(_WEB):
        metric = _web_metric(req)
        a = Step("get_ga4_metrics", date_args(one, "start_date", "end_date"), one.label)
        b = Step("get_ga4_metrics", date_args(two, "start_date", "end_date"), two.label)
        spec = {"source": "web", "metric": metric, "first_label": a.label}
        return Plan(a.tool, a.arguments, "summary", a.label, parallel=(b,), shape="compare", spec=spec)
    contacts = req.has(r"\bcontacts?\b|\bsign ?ups?\b|\bcustomers\b") and not req.has(LEAD_NOUN)
    tool = "get_contacts" if contacts else "list_leads"
    filters, _ = ({}, []) if contacts else lead_filters(req)
    a = Step(tool, filters | date_args(one, "created_from", "created_to") | {"limit": 1}, one.label)
    b = Step(tool, filters | date_args(two, "created_from", "created_to") | {"limit": 1}, two.label)
    noun = "contacts" if contacts else "leads"
    spec = {"metric": "total", "noun": noun, "title": f"new {noun}", "first_label": a.label}
    if req.has(r"\bvalue\b|\bworth\b|\bpipeline value\b") and not contacts:
        spec |= {"metric": "total_value", "title": "lead value", "also": ["total"]}
    elif not contacts:
        spec["also"] = ["total_value"]
    return Plan(tool, a.arguments, "count", a.label, parallel=(b,), shape="compare", spec=spec)


RULES = (rule_compare,)
