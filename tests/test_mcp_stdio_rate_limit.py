"""`ask_frontdesk` over `frontdesk mcp` (stdio) counts against the caller's chat rate limit, as it
does over HTTP: over the limit, the call is an `isError` result with a clear message."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from frontdesk.api.services import start_services
from frontdesk.config import Settings
from tests.conftest import demo_identity
from tests.mcp_support import new_key

FRONTDESK = Path(sys.executable).parent / "frontdesk"


async def test_ask_frontdesk_over_stdio_is_rate_limited(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'frontdesk.db'}"
    services = await start_services(Settings(data_dir=tmp_path, database_url=url, demo_contacts=30))
    try:
        _, key = await new_key(services.db, await demo_identity(services.db))
    finally:
        await services.aclose()
    env = {
        "FRONTDESK_DATA_DIR": str(tmp_path),
        "FRONTDESK_MCP_API_KEY": key,
        "FRONTDESK_CHAT_RATE_LIMIT_PER_MINUTE": "2",
    }
    async with Client(StdioServerParameters(command=str(FRONTDESK), args=["mcp"], env=env)) as client:
        question = {"question": "How is the pipeline looking?"}
        for _ in range(2):
            answer = await client.call_tool("ask_frontdesk", question)
            assert not answer.is_error, answer.content
        refused = await asyncio.wait_for(client.call_tool("ask_frontdesk", question), 60)
        assert refused.is_error
        assert "Rate limit of 2 chat turns per 60 s exceeded" in refused.content[0].text  # type: ignore[union-attr]
