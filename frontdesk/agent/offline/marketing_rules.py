"""Planner rules for ad platforms (Google Ads, Meta Ads), website analytics (GA4) and the instant
marketing facts (`quick_insights`)."""

from __future__ import annotations

import re
from typing import Any

from frontdesk.agent.offline.crm_rules import LEAD_NOUN
from frontdesk.agent.offline.request import Plan, Request, date_args

_AD_PLATFORM = {r"google ads|google|adwords|search ads": "google_ads", r"meta|facebook|instagram": "meta_ads"}
_AD_WORDS = (
    r"\bcampaigns?\b|\bad spend\b|\bspend\b|\broas\b|\bcpc\b|\bctr\b|\bcpa\b|\bimpressions\b|\bclicks\b"
    r"|\bads? (?:perform|performance|results|metrics|doing)\b|\bad accounts?\b|\badvertising\b"
)
_WEB_WORDS = (
    r"\bga4\b|\bgoogle analytics\b|\bwebsite traffic\b|\bsite traffic\b|\btraffic\b|\bsessions\b|\bvisitors\b"
    r"|\bpage ?views\b|\bbounce\b|\bengagement rate\b|\btop (?:\d+ )?(?:web ?)?pages\b"
    r"|\bmost (?:viewed|visited|popular) pages\b"
)
_RANGES = {7: "7_days", 14: "14_days", 30: "30_days", 90: "90_days"}


def _ad_platform(req: Request) -> str | None:
    return next((p for words, p in _AD_PLATFORM.items() if req.has(rf"\b(?:{words})\b")), None)


def _period(req: Request) -> dict[str, Any]:
    return date_args(req.when, "start_date", "end_date")


def rule_quick_insights(req: Request) -> Plan | None:
    if not req.has(
        r"\bquick insights?\b|\binsights\b|\bmarketing (?:overview|summary|performance|snapshot)\b"
        r"|\bhow is (?:our )?marketing\b|\bmarketing doing\b|\binstant facts\b"
    ):
        return None
    args: dict[str, Any] = {}
    if req.when and req.when.start and req.when.end == req.today:
        span = (req.today - req.when.start).days + 1
        if span in _RANGES:
            args["date_range"] = _RANGES[span]
        else:
            args["start_date"] = req.when.start.isoformat()
    elif req.when:
        args |= _period(req)
    platforms = [p for words, p in _AD_PLATFORM.items() if req.has(rf"\b(?:{words})\b")]
    if req.has(r"\bga4\b|\bwebsite\b|\bgoogle analytics\b"):
        platforms.append("ga4")
    if platforms:
        args["platforms"] = platforms
    return Plan("quick_insights", args, "summary", req.when.label if req.when else "the last 30 days")


def rule_ads(req: Request) -> Plan | None:
    if not req.has(_AD_WORDS) or (req.has(LEAD_NOUN) and not req.has(r"\bcampaigns?\b|\bspend\b|\bcpa\b")):
        return None
    args: dict[str, Any] = {}
    if platform := _ad_platform(req):
        args["platform"] = platform
    if req.has(r"\bad accounts?\b") and not req.has(r"\bspend\b|\bperform"):
        return Plan("list_ad_accounts", args, "list", platform or "")
    if m := re.search(r"\bcampaign\s+([\w:-]*\d[\w:-]*)", req.text):
        return Plan(
            "get_ad_performance", args | {"campaign_id": m.group(1)} | _period(req), "summary", m.group(1)
        )
    if req.has(r"\bcampaigns\b|\bwhich campaign\b|\bbest campaign\b|\btop campaign\b|\bworst campaign\b"):
        args |= _period(req)
        return Plan("get_campaigns", args, "list", req.when.label if req.when else "")
    return Plan("get_ad_performance", args | _period(req), "summary", req.when.label if req.when else "")


def rule_web(req: Request) -> Plan | None:
    if req.has(r"\bga4 propert(?:y|ies)\b|\banalytics propert(?:y|ies)\b"):
        return Plan("list_ga4_properties", {}, "list", "")
    if not req.has(_WEB_WORDS) or req.has(r"\bmessages?\b"):
        return None
    args: dict[str, Any] = {}
    if m := re.search(r"\bproperty\s+(\d{5,})\b", req.low):
        args["property_id"] = m.group(1)
    args |= _period(req)
    label = req.when.label if req.when else ""
    if req.has(r"\bpages?\b"):
        if m := re.search(r"\btop\s+(\d+)\b", req.low):
            args["limit"] = max(1, min(100, int(m.group(1))))
        return Plan("get_top_pages", args, "list", label)
    if req.has(
        r"\bsources?\b|\bwhere .* (?:come|came|coming) from\b|\bchannels?\b|\breferrers?\b|\bmedium\b"
    ):
        return Plan("get_traffic_sources", args, "list", label)
    return Plan("get_ga4_metrics", args, "summary", label)


RULES = (rule_quick_insights, rule_web, rule_ads)
