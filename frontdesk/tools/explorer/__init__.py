"""The data explorer: the lake's tools (`data_catalog`, `data_query`, `data_sql`), sync, the
natural-language planner for data questions, exports and ad CSV imports."""

from frontdesk.tools.explorer.tools import register

__all__ = ["register"]
