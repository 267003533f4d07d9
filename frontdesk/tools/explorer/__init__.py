"""The data explorer: the lake's tools (`data_catalog`, `data_query`, `data_sql`, `export_data`),
sync, the natural-language planner for data questions, exports and ad CSV imports."""

from frontdesk.tools.registry import ToolRegistry


def register(registry: ToolRegistry) -> None:
    from frontdesk.tools.explorer import export, tools

    tools.register(registry)
    registry.add(export.export_data, permission=tools.PERMISSION, read_only=False)


__all__ = ["register"]
