"""A local fake of the Bot Framework, served by a real uvicorn on loopback: OpenID metadata, a JWKS
holding an RSA key generated here, the token endpoint (client credentials) and the Bot Connector
(conversation activities and members). `token(...)` mints the Bot Connector's bearer tokens."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

APP_ID = "00000000-1111-2222-3333-444444444444"
APP_PASSWORD = "bot-client-secret"
ISSUER = "https://api.botframework.com"
BOT_ID = "28:" + APP_ID
BOT_TOKEN = "bot-access-token-1"
KID = "fake-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeBotFramework:
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # from.id -> member JSON
    calls: list[Call] = field(default_factory=list)
    url: str = ""

    # -- tokens the Bot Connector would send -----------------------------------------------------

    def token(self, service_url: str, **override: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": APP_ID,
            "serviceurl": service_url,
            "nbf": now - 10,
            "exp": now + 3600,
            "iat": now - 10,
        }
        key = override.pop("key", self.key)
        kid = override.pop("kid", KID)
        claims.update(override)
        return jwt.encode(
            {k: v for k, v in claims.items() if v is not None}, key, "RS256", headers={"kid": kid}
        )

    # -- what was called -------------------------------------------------------------------------

    def connector_calls(self, conversation: str | None = None) -> list[Call]:
        calls = [c for c in self.calls if c.path.startswith("/v3/")]
        return [c for c in calls if conversation is None or conversation in c.path]

    def replies(self, conversation: str) -> list[Call]:
        return [
            c
            for c in self.connector_calls(conversation)
            if c.method == "POST" and isinstance(c.body, dict) and c.body.get("type") == "message"
        ]

    def wait_for_replies(self, conversation: str, count: int = 1, timeout: float = 20.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(found := self.replies(conversation)) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} replies in {conversation}, got {self.replies(conversation)}")

    # -- endpoints -------------------------------------------------------------------------------

    async def _record(self, request: Request) -> Call:
        raw = await request.body()
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            body: Any = json.loads(raw or b"null")
        elif "form" in ctype:
            body = dict((await request.form()).items())
        else:
            body = raw.decode()
        call = Call(request.method, request.url.path, dict(request.headers), body)
        self.calls.append(call)
        return call

    async def openid(self, request: Request) -> JSONResponse:
        await self._record(request)
        return JSONResponse(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{self.url}/v1/.well-known/authorize",
                "jwks_uri": f"{self.url}/v1/.well-known/keys",
                "id_token_signing_alg_values_supported": ["RS256"],
            }
        )

    async def keys(self, request: Request) -> JSONResponse:
        await self._record(request)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk |= {"kid": KID, "use": "sig", "alg": "RS256", "endorsements": ["msteams"]}
        return JSONResponse({"keys": [jwk]})

    async def token_endpoint(self, request: Request) -> JSONResponse:
        call = await self._record(request)
        form = call.body
        ok = (
            form.get("grant_type") == "client_credentials"
            and form.get("client_id") == APP_ID
            and form.get("client_secret") == APP_PASSWORD
            and form.get("scope") == "https://api.botframework.com/.default"
        )
        if not ok:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        return JSONResponse({"token_type": "Bearer", "expires_in": 3600, "access_token": BOT_TOKEN})

    async def activities(self, request: Request) -> JSONResponse:
        await self._record(request)
        if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return JSONResponse({"error": {"code": "Unauthorized"}}, status_code=401)
        return JSONResponse({"id": uuid.uuid4().hex})

    async def member(self, request: Request) -> JSONResponse:
        await self._record(request)
        if request.headers.get("authorization") != f"Bearer {BOT_TOKEN}":
            return JSONResponse({"error": {"code": "Unauthorized"}}, status_code=401)
        member = self.members.get(request.path_params["member"])
        if member is None:
            return JSONResponse({"error": {"code": "MemberNotFoundInConversation"}}, status_code=404)
        return JSONResponse(member)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/.well-known/openidconfiguration", self.openid),
                Route("/v1/.well-known/keys", self.keys),
                Route("/botframework.com/oauth2/v2.0/token", self.token_endpoint, methods=["POST"]),
                Route("/v3/conversations/{conv}/activities", self.activities, methods=["POST"]),
                Route("/v3/conversations/{conv}/activities/{aid}", self.activities, methods=["POST"]),
                Route("/v3/conversations/{conv}/members/{member}", self.member),
            ]
        )


def message_activity(
    service_url: str, conversation: str, from_id: str, text: str, activity_id: str | None = None
) -> dict[str, Any]:
    """A Teams message activity as the Bot Connector posts it, @mentioning the bot."""
    return {
        "type": "message",
        "id": activity_id or uuid.uuid4().hex,
        "timestamp": "2026-12-01T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": from_id, "name": "Teams User", "aadObjectId": str(uuid.uuid4())},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": "tenant-1"},
        "recipient": {"id": BOT_ID, "name": "frontdesk"},
        "text": f"<at>frontdesk</at> {text}",
        "textFormat": "plain",
        "entities": [
            {
                "type": "mention",
                "mentioned": {"id": BOT_ID, "name": "frontdesk"},
                "text": "<at>frontdesk</at>",
            }
        ],
        "channelData": {"tenant": {"id": "tenant-1"}},
    }
