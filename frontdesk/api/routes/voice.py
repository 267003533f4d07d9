"""`WS /chat/ws`: the voice door (speech, camera frames, text) — see `channels/voice.py`.

Auth: `?token=<access token or fdk_ API key>` (browsers cannot set headers on a WebSocket), or an
`Authorization: Bearer` header. A bad or missing credential gets one `error` message and the
socket is closed with 1008 (policy violation) before anything else happens.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket, status

from frontdesk.api.deps import identity_from_bearer
from frontdesk.api.services import Services
from frontdesk.channels.voice import VoiceSession
from frontdesk.errors import FrontdeskError, Unauthenticated
from frontdesk.tools.media.vocabulary import account_prompt

router = APIRouter(tags=["voice"])


def _credential(ws: WebSocket) -> str:
    token = ws.query_params.get("token")
    if token:
        return token
    scheme, _, value = ws.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


@router.websocket("/chat/ws")
async def chat_ws(ws: WebSocket) -> None:
    services: Services = ws.app.state.services
    await ws.accept()
    try:
        token = _credential(ws)
        if not token:
            raise Unauthenticated("Missing token: connect with ?token=<access token or API key>")
        identity = await identity_from_bearer(services, token)
    except FrontdeskError as e:
        await ws.send_json({"type": "error", "detail": e.detail, "code": e.code})
        await ws.close(code=status.WS_1008_POLICY_VIOLATION, reason="unauthenticated")
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
