"""A tiny real MCP server (the `mcp` SDK's `MCPServer`) spoken to over stdio by the tests.

Run as a script: `python echo_server.py`. Its tools: `echo`, `add` (read-only) and `fail`.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

server = MCPServer(name="echo", version="1.0")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def echo(text: Annotated[str, Field(description="What to say back.")], shout: bool = False) -> str:
    """Say the text back."""
    return text.upper() if shout else text


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def add(a: int, b: int) -> dict[str, int]:
    """Add two integers."""
    return {"sum": a + b}


@server.tool()
def fail(reason: str) -> str:
    """Always fails with the given reason."""
    raise ToolError(f"refused: {reason}")


if __name__ == "__main__":
    server.run("stdio")
