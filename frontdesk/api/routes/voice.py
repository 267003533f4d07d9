"""`WS /chat/ws`: the voice door (speech, camera frames, text) — see `channels/voice.py`.

Auth: `?token=<access token or fdk_ API key>` (browsers cannot set headers on a WebSocket), or an
`Authorization: Bearer` header. A bad or missing credential gets one `error` message and the
socket is closed with 1008 (policy violation) before anything else happens.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from frontdesk.api.deps import websocket_identity
from frontdesk.api.services import Services
from frontdesk.channels.voice import VoiceSession
from frontdesk.tools.media.vocabulary import account_prompt

router = APIRouter(tags=["voice"])


@router.websocket("/chat/ws")
async def chat_ws(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    identity = await websocket_identity(
        ws, services, "Missing token: connect with ?token=<access token or API key>"
    )
    if identity is None:
        return
    principal = identity.principal("voice")
    assert services.media is not None
    departments = list(services.agent.departments)
    session = VoiceSession(
        ws,
        principal,
        turns=services.turns,
        media=services.media,
        limiter=services.chat_limiter,
        settings=services.settings,
        speech_prompt=lambda: account_prompt(services.db, principal.account_id, departments),
    )
    await session.run()
