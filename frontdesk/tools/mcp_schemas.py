"""The `outputSchema` of each built-in tool: the shape of the dict it returns as `structuredContent`.

Tools return plain dicts (`-> dict[str, Any]`), so their shapes are written down here, next to
nothing else. Each schema names the top-level keys a tool always returns (`required`) with their
JSON types; nested records are typed where they are the tool's point (contacts, leads) and left
open (`object`) elsewhere. Extra keys stay allowed, so a tool may grow a field without breaking a
client. `tests/api/test_mcp_outputs.py` calls every tool through a real MCP client and validates
its `structuredContent` against these schemas.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
OBJ: Schema = {"type": "object"}
NULL: Schema = {"type": "null"}
N_STR: Schema = {"anyOf": [STR, NULL]}  # anyOf, not a type list: portable to single-type dialects
N_NUM: Schema = {"anyOf": [NUM, NULL]}
N_INT: Schema = {"anyOf": [INT, NULL]}
DATE_RANGE: Schema = {
    "type": "object",
    "properties": {"start": STR, "end": STR},
    "required": ["start", "end"],
}


def arr(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these always-present keys (and these sometimes-present ones)."""
    return {"type": "object", "properties": required | (optional or {}), "required": list(required)}


CONTACT = obj(
    {
        "id": STR,
        "name": STR,
        "first_name": N_STR,
        "last_name": N_STR,
        "email": N_STR,
        "phone": N_STR,
        "company": N_STR,
        "position": N_STR,
        "tags": arr(STR),
        "status": N_STR,
        "notes": N_STR,
        "last_contact_date": N_STR,
        "created_at": STR,
        "updated_at": STR,
    }
)
LEAD = obj(
    {
        "id": STR,
        "name": STR,
        "email": N_STR,
        "phone": N_STR,
        "company": N_STR,
        "status": STR,
        "source": N_STR,
        "value": N_NUM,
        "notes": N_STR,
        "contact_id": N_STR,
        "created_at": STR,
        "updated_at": STR,
    }
)
PAGE = {"total": INT, "limit": INT, "offset": INT, "has_more": BOOL}
COUNTED_PAGE = {"total_count": INT, "limit": INT, "offset": INT, "has_more": BOOL}
EXECUTION = obj({"execution_id": STR, "helper_id": N_STR, "status": STR, "created_at": STR})
STATS = {"success": BOOL, "metric_type": STR, "period": STR, "count": INT, "total": INT, "data": arr(OBJ)}

OUTPUT_SCHEMAS: dict[str, Schema] = {
    # CRM
    "get_contacts": obj({"contacts": arr(CONTACT)} | PAGE),
    "get_contact_detail": {**CONTACT, "properties": CONTACT["properties"] | {"leads": arr(LEAD)}},
    "list_leads": obj({"leads": arr(LEAD), "total_value": NUM} | PAGE),
    "get_lead": LEAD,
    "pipeline_summary": obj(
        {
            "stages": arr(OBJ),
            "total_leads": INT,
            "total_value": NUM,
            "open_value": NUM,
            "conversion_rate": NUM,
        }
    ),
    "create_contact": CONTACT,
    "update_contact": CONTACT,
    "tag_contact": CONTACT,
    "create_lead": LEAD,
    "update_lead": LEAD,
    "delete_lead": obj({"id": STR, "deleted": BOOL}),
    "get_connections": obj({"connections": arr(OBJ), "total": INT}),
    "query_crm_data": obj(
        {"connection_id": STR, "platform": STR, "object_type": STR, "records": arr(OBJ), "has_more": BOOL},
        {"count": INT, "total": N_INT, "scanned": INT, "next_cursor": N_STR},
    ),
    # Data explorer
    "data_catalog": obj({"connection_id": STR, "platform": STR, "objects": arr(OBJ)}, {"name": STR}),
    "data_query": obj(
        {"results": arr(OBJ), "total": INT, "has_more": BOOL, "connection_id": STR, "object_type": STR},
        {
            "query_time_ms": NUM,
            "filters": OBJ,
            "sort": {"anyOf": [arr(STR), NULL]},
            "limit": INT,
            "offset": INT,
            "understood": arr(STR),
        },
    ),
    "data_sql": obj(
        {"rows": arr(OBJ), "columns": arr(OBJ), "row_count": INT, "truncated": BOOL},
        {"connection_id": STR, "views": arr(STR), "query_time_ms": NUM},
    ),
    "export_data": obj(
        {"file_id": STR, "filename": STR, "download_url": STR, "rows": INT, "size_bytes": INT},
        {"object_type": STR, "nl_query": STR},
    ),
    # Ads and GA4
    "list_ad_accounts": obj({"accounts": arr(OBJ), "total": INT}, {"connections": arr(OBJ)}),
    "get_campaigns": obj({"date_range": DATE_RANGE, "campaigns": arr(OBJ)} | PAGE),
    "get_ad_performance": obj(
        {"date_range": DATE_RANGE, "totals": OBJ, "by_platform": arr(OBJ), "daily_breakdown": arr(OBJ)},
        {"filters": OBJ},
    ),
    "list_ga4_properties": obj({"properties": arr(OBJ), "total": INT}),
    "get_ga4_metrics": obj(
        {"property_id": STR, "date_range": DATE_RANGE, "totals": OBJ, "daily_breakdown": arr(OBJ)},
        {"display_name": STR},
    ),
    "get_top_pages": obj(
        {"property_id": STR, "date_range": DATE_RANGE, "pages": arr(OBJ)},
        {"total_page_views": INT, "total_pages": INT},
    ),
    "get_traffic_sources": obj(
        {"property_id": STR, "date_range": DATE_RANGE, "sources": arr(OBJ)}, {"total_sessions": INT}
    ),
    "quick_insights": obj(
        {"success": BOOL, "date_range": DATE_RANGE, "platforms_analyzed": arr(STR), "facts": arr(OBJ)},
        {"insight_type": STR, "compared_with": DATE_RANGE, "response_time_ms": INT},
    ),
    "marketing_advice": obj(
        {
            "success": BOOL,
            "insight_type": STR,
            "date_range": DATE_RANGE,
            "platforms_analyzed": arr(STR),
            "recommendations": arr(OBJ),
        },
        {
            "compared_with": DATE_RANGE,
            "account": OBJ,
            "facts": arr(OBJ),
            "thresholds": OBJ,
            "insights": STR,
            "response_time_ms": INT,
        },
    ),
    "explain_metric": obj(
        {"metric": STR, "movers": arr(OBJ), "date_range": DATE_RANGE},
        {"key": STR, "is_ad_metric": BOOL, "fact": {"anyOf": [OBJ, NULL]}, "analysis": STR},
    ),
    # Conversation analytics and search
    "daily_stats": obj(STATS, {"date_range": OBJ, "filters": OBJ, "breakdown": OBJ}),
    "hourly_stats": obj(STATS, {"filters": OBJ, "breakdown": OBJ}),
    "dashboard_summary": obj(
        {"summary": OBJ, "trends": OBJ, "sourceBreakdown": OBJ, "pipeline": arr(OBJ), "activity": OBJ},
        {"generatedAt": STR},
    ),
    "search_messages": obj(
        {"success": BOOL, "query": STR, "count": INT, "data": arr(OBJ)} | PAGE, {"scope": STR}
    ),
    # Helpers (automations)
    "list_helper_types": obj({"types": arr(OBJ), "total_count": INT}, {"categories": arr(STR)}),
    "list_helpers": obj({"helpers": arr(OBJ)} | COUNTED_PAGE),
    "get_helper_config": obj({"config": OBJ, "config_schema": OBJ}, {"id": STR, "helper_type": STR}),
    "invoke_helper": obj({"execution_id": STR, "helper_id": STR, "status": STR, "started_at": STR}),
    "get_execution": EXECUTION,
    "list_executions": obj(
        {"executions": arr(OBJ), "total_count": INT, "has_more": BOOL}, {"next_token": N_STR}
    ),
    # The whole agent (frontdesk/agent/delegate.py)
    "ask_frontdesk": obj(
        {
            "answer": STR,
            "department": N_STR,
            "conversation_id": STR,
            "message_id": STR,
            "tools_used": arr(obj({"tool": STR, "arguments": OBJ}, {"is_error": BOOL})),
        }
    ),
}
