"""Capabilities as typed async functions, their registry, and the MCP server face."""
