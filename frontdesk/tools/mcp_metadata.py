"""How each registry tool is described on the MCP face: title, annotations, input and output schema.

Annotations are hints for the client's UI and consent prompts, so they say what a tool really does:

- `readOnlyHint` — the tool changes nothing (the registry's `read_only`);
- `destructiveHint` — it may delete or overwrite data (deletes, updates that replace fields or
  tags, helpers that merge or rewrite records); additive writes (`create_contact`) are not;
- `idempotentHint` — calling it again with the same arguments changes nothing more;
- `openWorldHint` — it reaches a system outside frontdesk (a connected CRM's live API, outbound
  webhooks, the model provider). The ad and GA4 tools read seeded or imported data today (live
  platform APIs are not wired in, see `tools/ads/sources.py`), so they are not open-world yet.

Tools of external MCP servers keep whatever their server said about them; frontdesk knows only
their name, so they get a title from it, `readOnlyHint` from the config, and `openWorldHint`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import mcp_types as types

from frontdesk.tools.base import ToolSpec
from frontdesk.tools.mcp_schemas import OUTPUT_SCHEMAS


@dataclass(frozen=True, slots=True)
class ToolHints:
    title: str
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False


def _write(title: str, *, destructive: bool, idempotent: bool, open_world: bool = False) -> ToolHints:
    return ToolHints(title, destructive=destructive, idempotent=idempotent, open_world=open_world)


HINTS: dict[str, ToolHints] = {
    # CRM reads and writes (the native CRM in frontdesk's own database)
    "get_contacts": ToolHints("Find contacts"),
    "get_contact_detail": ToolHints("Contact details"),
    "list_leads": ToolHints("List leads"),
    "get_lead": ToolHints("Lead details"),
    "pipeline_summary": ToolHints("Pipeline summary"),
    "create_contact": _write("Create a contact", destructive=False, idempotent=False),
    "update_contact": _write("Update a contact", destructive=True, idempotent=True),
    "tag_contact": _write("Tag or untag a contact", destructive=True, idempotent=True),
    "create_lead": _write("Create a lead", destructive=False, idempotent=False),
    "update_lead": _write("Update a lead", destructive=True, idempotent=True),
    "delete_lead": _write("Delete a lead", destructive=True, idempotent=True),
    "get_connections": ToolHints("CRM connections"),
    "query_crm_data": ToolHints("Query a connected CRM", open_world=True),
    # Data explorer (Parquet snapshots in the local lake)
    "data_catalog": ToolHints("Data catalog"),
    "data_query": ToolHints("Query synced data"),
    "data_sql": ToolHints("SQL over synced data"),
    "export_data": _write("Export data to CSV", destructive=False, idempotent=False),
    # Ads and GA4
    "list_ad_accounts": ToolHints("Ad accounts"),
    "get_campaigns": ToolHints("Ad campaigns"),
    "get_ad_performance": ToolHints("Ad performance"),
    "list_ga4_properties": ToolHints("GA4 properties"),
    "get_ga4_metrics": ToolHints("GA4 metrics"),
    "get_top_pages": ToolHints("GA4 top pages"),
    "get_traffic_sources": ToolHints("GA4 traffic sources"),
    "quick_insights": ToolHints("Marketing insights"),
    "marketing_advice": ToolHints("Marketing advice"),
    "explain_metric": ToolHints("Explain a metric's change"),
    # Conversation analytics and search
    "daily_stats": ToolHints("Daily conversation stats"),
    "hourly_stats": ToolHints("Hourly conversation stats"),
    "dashboard_summary": ToolHints("Dashboard summary"),
    "search_messages": ToolHints("Search messages"),
    # Helpers (automations)
    "list_helper_types": ToolHints("Helper types"),
    "list_helpers": ToolHints("List helpers"),
    "get_helper_config": ToolHints("Helper configuration"),
    "invoke_helper": _write("Run a helper", destructive=True, idempotent=False, open_world=True),
    "get_execution": ToolHints("Helper execution"),
    "list_executions": ToolHints("Helper executions"),
    # The whole agent: it may use any tool the caller may, writes included, and a hosted model.
    "ask_frontdesk": _write("Ask frontdesk", destructive=True, idempotent=False, open_world=True),
}


def hints_for(spec: ToolSpec) -> ToolHints:
    known = HINTS.get(spec.name)
    if known is not None:
        return known
    title = spec.name.replace("__", ": ").replace("_", " ")
    return ToolHints(
        title[:1].upper() + title[1:], destructive=not spec.read_only, idempotent=False, open_world=True
    )


def described(schema: dict[str, Any]) -> dict[str, Any]:
    """The input schema with each property's description where MCP clients look for it: an
    optional parameter's description sits in its `anyOf` branch in pydantic's output."""
    out = copy.deepcopy(schema)
    for prop in out.get("properties", {}).values():
        if "description" not in prop:
            for branch in prop.get("anyOf", []):
                if isinstance(branch, dict) and "description" in branch:
                    prop["description"] = branch["description"]
                    break
    return out


def mcp_tool(spec: ToolSpec) -> types.Tool:
    """A registry spec as an MCP tool description."""
    hints = hints_for(spec)
    return types.Tool(
        name=spec.name,
        title=hints.title,
        description=spec.description,
        input_schema=described(spec.parameters),
        output_schema=OUTPUT_SCHEMAS.get(spec.name),
        annotations=types.ToolAnnotations(
            title=hints.title,
            read_only_hint=spec.read_only,
            destructive_hint=False if spec.read_only else hints.destructive,
            idempotent_hint=True if spec.read_only else hints.idempotent,
            open_world_hint=hints.open_world,
        ),
    )
