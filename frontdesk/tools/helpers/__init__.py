"""Helpers: configured automations over CRM data, run in the background as executions.

`base` defines a helper type, the `*_types` modules and `dedupe` hold the built-in types (gathered
in `catalog`), `net` is the SSRF-safe outbound HTTP gate, `tools` and `manage` are what the agent,
the MCP face and the REST routes call, and `runner` / `worker` run queued executions.
"""
