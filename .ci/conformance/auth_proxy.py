"""A credential-adding reverse proxy for the MCP conformance suite (CI only, not shipped).

`npx @modelcontextprotocol/conformance server --url …` connects without credentials (it has no
header option), and frontdesk's `/mcp` requires a bearer. This proxy listens on a loopback port and
forwards every request unchanged — method, path, body, and the client's own `Host` and `Origin`
headers, so the DNS-rebinding scenario still reaches frontdesk's Host/Origin check — adding only
`Authorization: Bearer <key>`. Responses (including SSE streams) are streamed back as they come.

    python auth_proxy.py --listen 8766 --upstream http://127.0.0.1:8765 --key-file key.txt
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import uvicorn
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


class AuthProxy:
    def __init__(self, upstream: str, key: str) -> None:
        self.client = httpx.AsyncClient(base_url=upstream, timeout=httpx.Timeout(30.0, read=None))
        self.key = key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers.append(("authorization", f"Bearer {self.key}"))
        upstream = self.client.build_request(
            request.method,
            request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            headers=headers,
            content=await request.body(),
        )
        response = await self.client.send(upstream, stream=True)

        async def body() -> AsyncIterator[bytes]:
            async for chunk in response.aiter_raw():
                yield chunk

        out = StreamingResponse(
            body(),
            status_code=response.status_code,
            headers={k: v for k, v in response.headers.items() if k.lower() not in HOP_BY_HOP},
            background=BackgroundTask(response.aclose),
        )
        await out(scope, receive, send)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, required=True, help="loopback port to listen on")
    parser.add_argument("--upstream", required=True, help="frontdesk's base URL")
    parser.add_argument("--key-file", type=Path, required=True, help="file holding the API key")
    args = parser.parse_args()
    app = AuthProxy(args.upstream, args.key_file.read_text().strip())
    uvicorn.run(app, host="127.0.0.1", port=args.listen, log_level="warning")


if __name__ == "__main__":
    main()
