"""A tool whose outside platform fails (a `ConnectorError` out of any tool called through the
registry: chat, MCP, helpers) is announced on the account's live events as `integration.error`;
other errors are not."""

from __future__ import annotations

import asyncio

import pytest

from frontdesk.config import Settings
from frontdesk.errors import Invalid
from frontdesk.storage.db import Database
from frontdesk.tools.base import ToolContext
from frontdesk.tools.connectors.base import ConnectorAuthError
from frontdesk.tools.registry import ToolRegistry
from tests.conftest import new_identity


async def platform_refuses(ctx: ToolContext) -> dict[str, str]:
    """Read something from an outside CRM that answers 401."""
    raise ConnectorAuthError("HubSpot answered 401: the access token was rejected")


async def bad_input(ctx: ToolContext) -> dict[str, str]:
    """Refuse the arguments."""
    raise Invalid("no such thing")


async def test_a_connector_failure_is_published_and_still_raised(db: Database, settings: Settings) -> None:
    registry = ToolRegistry()
    registry.add(platform_refuses, permission="crm.read")
    registry.add(bad_input, permission="crm.read")
    ctx = ToolContext((await new_identity(db, "Events")).principal(), db, settings)
    with db.events.subscribe(ctx.principal.account_id) as events:
        with pytest.raises(ConnectorAuthError):
            await registry.call("platform_refuses", {}, ctx)
        event = await asyncio.wait_for(events.get(), 5)
        with pytest.raises(Invalid):
            await registry.call("bad_input", {}, ctx)
        await asyncio.sleep(0.05)
        assert events.empty()  # a refused argument is not an integration failure
    assert event.type == "integration.error" and event.account_id == ctx.principal.account_id
    assert event.data == {
        "source": "tool",
        "tool": "platform_refuses",
        "code": "connector_unauthorized",
        "error": "HubSpot answered 401: the access token was rejected",
    }
