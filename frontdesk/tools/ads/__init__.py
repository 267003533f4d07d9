"""Ad metrics and web analytics tools (MIA seed): Google Ads, Meta Ads, GA4 and instant insights.

`rows` (the canonical rows and the source interfaces), `demo` (the seeded demo connector),
`sources` (an account's connections + lake rows, merged), `metrics` (date ranges, sums, derived
rates), `campaign_stats` (each campaign now and before), `advice` (grow / optimize / protect
rules) with `advice_text` (its templated prose), `fact_drivers` (why a metric moved), `snapshot`,
and the tools: `campaigns`, `ga4`, `insights`.
"""

from __future__ import annotations

from frontdesk.tools.registry import ToolRegistry


def register(registry: ToolRegistry) -> None:
    from frontdesk.tools.ads import campaigns, fact_drivers, ga4, insights

    for fn in (
        campaigns.list_ad_accounts,
        campaigns.get_campaigns,
        campaigns.get_ad_performance,
        ga4.list_ga4_properties,
        ga4.get_ga4_metrics,
        ga4.get_top_pages,
        ga4.get_traffic_sources,
        insights.quick_insights,
        insights.marketing_advice,
        fact_drivers.explain_metric,
    ):
        registry.add(fn, permission="can_view_analytics")
