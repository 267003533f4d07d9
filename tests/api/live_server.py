"""A real uvicorn server for an app a test built itself, run with given uvicorn options (e.g. those
`frontdesk serve` uses), and what a test can learn about its connections."""

from __future__ import annotations

import httpx

from tests.conftest import serve_app

__all__ = ["local_port", "serve_app"]


def local_port(response: httpx.Response) -> int:
    """The client-side port of the connection that carried `response` (same port: same connection)."""
    stream = response.extensions["network_stream"]
    return int(stream.get_extra_info("client_addr")[1])
