"""`WS /ws` (CRM MVP): the account's live events as `{type, data, timestamp}` JSON messages
(`lead.created`, `lead.updated`, `contact.created`, `message.received`, `agent.completed`,
`notification.created`), from the event bus of this process (`storage/events.py`).

Auth: `Authorization: Bearer` or `?token=` (an access token or `fdk_` API key); a bad one gets one
`error` message and close 1008. The socket hears only its account. The client may send `ping`
(answered `pong`); anything else it sends is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from frontdesk.api.deps import websocket_identity
from frontdesk.api.services import Services

router = APIRouter(tags=["events"])


@router.websocket("/ws")
async def events_ws(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    identity = await websocket_identity(ws, services, "Missing token: send Authorization: Bearer or ?token=")
    if identity is None:
        return
    with services.db.events.subscribe(identity.account.id) as events:
        await ws.send_json({"type": "connected", "data": {"accountId": identity.account.id}})
        reader = asyncio.create_task(_read(ws))
        try:
            while not reader.done():
                getter = asyncio.create_task(events.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                await ws.send_json(getter.result().to_json())
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader


async def _read(ws: WebSocket) -> None:
    """Answer pings until the client leaves."""
    while True:
        text = await ws.receive_text()
        if text.strip() in ("ping", '{"type":"ping"}', '{"type": "ping"}'):
            await ws.send_json({"type": "pong"})
