"""Planner rules for the data tools: connections, the data explorer (catalog, query, SQL), usage
analytics (daily / hourly stats, the dashboard) and message search."""

from __future__ import annotations

import re
from typing import Any

from frontdesk.agent.offline.request import Plan, Request, date_args

_CONN_ID = re.compile(r"\bconn:[\w-]{4,64}\b", re.I)
PLATFORMS = {  # regex -> connection platform
    r"hubspot": "hubspot", r"keap|infusionsoft": "keap", r"google ads|adwords": "google_ads",
    r"meta ads|facebook ads|instagram ads": "meta_ads", r"ga4|google analytics": "ga4",
    r"demo(?: data)?": "demo", r"native crm|built-in crm": "native",
}  # fmt: skip
CHANNELS = {r"sms|text messages?": "sms", r"teams": "teams", r"voice|calls?": "voice",
            r"web(?: chat)?|website chat": "web", r"mcp|claude desktop": "mcp"}  # fmt: skip
_METRICS = (  # regex -> daily/hourly metric_type
    (r"tokens?", "tokens_used"),
    (r"conversations?|chats?|sessions?", "conversations_started"),
    (r"contacts?|sign ?ups?|customers?", "contacts_created"),
    (r"leads?|deals?", "leads_created"),
    (r"messages?|activity|traffic", "messages_sent"),
)
_OBJECTS = ("contacts", "leads", "companies", "deals", "tags", "notes", "tasks")


def _platform(req: Request) -> str | None:
    return next((p for words, p in PLATFORMS.items() if req.has(rf"\b(?:{words})\b")), None)


def _channel(req: Request) -> str | None:
    for words, channel in CHANNELS.items():
        if req.has(rf"\b(?:on|via|over|through|from|by|in)\s+(?:the\s+)?(?:{words})\b") or req.has(
            rf"\b(?:{words})\s+(?:messages|conversations|chats)\b"
        ):
            return channel
    return None


def rule_sql(req: Request) -> Plan | None:
    m = re.search(r"\b(select\s.+?\bfrom\b.+?)\s*[;`?]*\s*$", req.text, re.I | re.S)
    if not m:
        return None
    args: dict[str, Any] = {"sql": m.group(1).strip().strip("`")}
    if conn := _CONN_ID.search(req.text):
        args["connection_id"] = conn.group(0)
    return Plan("data_sql", args, "summary", "SQL")


def rule_connections(req: Request) -> Plan | None:
    if not req.has(
        r"\bconnections?\b|\bdata sources?\b|\bintegrations?\b|\bconnected\b|\bhooked up\b"
        r"|\blinked accounts?\b"
    ) or req.has(r"\bad accounts?\b|\bga4 propert"):
        return None
    args: dict[str, Any] = {}
    platform = _platform(req)
    if platform and platform not in {"google_ads", "meta_ads", "ga4"}:
        args["platform"] = platform
    return Plan("get_connections", args, "list", platform or "")


def rule_crm_records(req: Request) -> Plan | None:
    """Records of another connection (HubSpot companies, Keap deals, ...)."""
    platform = _platform(req)
    conn = _CONN_ID.search(req.text)
    obj = "companies" if req.has(r"\bcompan(?:y|ies)\b") else None
    obj = obj or next((o for o in _OBJECTS if req.has(rf"\b{o[:-1]}s?\b")), None)
    if not (conn or (platform in {"hubspot", "keap", "demo"} and obj)):
        return None
    if conn is None:
        return Plan(
            None,
            clarify=f"Which {platform} connection? Ask 'list my connections' to see their ids (conn:…), "
            f"then ask again with the id.",
        )
    args: dict[str, Any] = {
        "connection_id": conn.group(0),
        "object_type": obj or "contacts",
        "limit": req.page(),
    }
    return Plan(
        "query_crm_data", args, "count" if req.counting else "list", f"{obj or 'contacts'} of {conn.group(0)}"
    )


def rule_explorer(req: Request) -> Plan | None:
    if req.has(
        r"\bdata catalog\b|\bcatalog\b|\bwhat (?:data|objects|tables|fields) (?:do we|do i|are|is)\b"
        r"|\bwhat'?s in the (?:data )?lake\b|\bschema of\b"
    ):
        args = {"connection_id": c.group(0)} if (c := _CONN_ID.search(req.text)) else {}
        return Plan("data_catalog", args, "summary", "catalog")
    m = re.search(
        r"^(?:please\s+)?(?:query|explore|analy[sz]e)\s+(?:the\s+)?(?:synced\s+)?(?:data|dataset|lake)"
        r"\s*(?:for|:|to find|,)?\s*(.*)$"
        r"|\b(?:in|from) the (?:data lake|synced data|lake)\b[:,]?\s*(.*)$",
        req.text,
        re.I,
    )
    if not m:
        return None
    question = (m.group(1) or m.group(2) or "").strip(" ?.") or req.text.strip(" ?.")
    args = {"nl_query": question}
    if conn := _CONN_ID.search(req.text):
        args["connection_id"] = conn.group(0)
    return Plan("data_query", args, "list", question)


def _days(req: Request, default: int) -> int:
    if m := re.search(r"\b(?:last|past)\s+(\d+)\s+days?\b", req.low):
        return max(1, min(366, int(m.group(1))))
    if req.when and req.when.start:
        return max(1, min(366, (req.today - req.when.start).days + 1))
    return default


def _metric(req: Request) -> str:
    return next((metric for words, metric in _METRICS if req.has(rf"\b(?:{words})\b")), "messages_sent")


def rule_stats(req: Request) -> Plan | None:
    hourly = req.has(r"\bhourly\b|\b(?:per|each|every|by the|by) hour\b|\bhour by hour\b|\blast \d+ hours\b")
    daily = req.has(
        r"\bdaily\b|\b(?:per|each|every|by) (?:day|date)\b|\bday by day\b|\bday-by-day\b|\btrend\b"
    )
    messages_count = req.counting and req.has(r"\bmessages?\b|\btokens?\b|\bconversations?\b|\bchats?\b")
    if not (hourly or daily or messages_count):
        return None
    args: dict[str, Any] = {"metric_type": _metric(req)}
    if channel := _channel(req):
        args["channel"] = channel
    if dept := re.search(
        r"\b(sales|marketing|support|operations|data)\s+(?:department|team|agent)\b", req.low
    ):
        args["department"] = dept.group(1)
    if hourly:
        m = re.search(r"\blast\s+(\d+)\s+hours?\b", req.low)
        args["hours"] = max(1, min(168, int(m.group(1)))) if m else 24
        return Plan("hourly_stats", args, "summary", f"the last {args['hours']} hours")
    args["days"] = _days(req, 30)
    return Plan("daily_stats", args, "summary", f"the last {args['days']} days")


def rule_dashboard(req: Request) -> Plan | None:
    if req.has(
        r"\bdashboard\b|\bkpis?\b|\brevenue\b|\bcrm (?:overview|summary)\b|\bhow are we doing\b"
        r"|\bthis month (?:vs|versus|compared to) last\b|\bbusiness overview\b"
    ) and not req.has(r"\bad spend\b|\bcampaigns?\b"):
        return Plan("dashboard_summary", {}, "summary", "dashboard")
    return None


def rule_search(req: Request) -> Plan | None:
    m = re.search(
        r"\b(?:search|find|look for|grep)\s+(?:the\s+|our\s+|my\s+)?"
        r"(?:messages?|conversations?|chats?|history|chat history)"
        r"\s+(?:for|about|mentioning|containing|with|that mention)\s+(.+?)\s*\??$"
        r"|\b(?:messages?|conversations?)\s+(?:that\s+)?(?:mention(?:ing|s)?|contain(?:ing|s)?|about)\s+(.+?)\s*\??$"
        r"|\bwho (?:mentioned|asked about|talked about|wrote about)\s+(.+?)\s*\??$",
        req.text,
        re.I,
    )
    if not m:
        return None
    q = next(g for g in m.groups() if g)
    q = re.sub(r"\s+(?:last|this|yesterday|today|in|since|between|on)\b.*$", "", q, flags=re.I) or q
    args: dict[str, Any] = {"q": q.strip(" .")}
    args |= date_args(req.when, "date_from", "date_to")
    if channel := _channel(req):
        args["channel"] = channel
    if req.has(r"\b(?:i|users?|customers?) (?:said|wrote|asked)\b"):
        args["role"] = "user"
    args["limit"] = req.page()
    return Plan("search_messages", args, "count" if req.counting else "list", f"mentioning {args['q']}")


RULES = (rule_sql, rule_search, rule_stats, rule_dashboard, rule_explorer, rule_crm_records, rule_connections)
