"""Authenticating the Bot Connector's calls, as the Bot Framework specifies.

Every call to the Teams webhook carries `Authorization: Bearer <JWT>`. The token must be signed
(RS256) by a key of the JWKS named in the OpenID metadata (`Settings.teams_openid_url`), be issued
by `https://api.botframework.com` for audience `Settings.teams_app_id`, be within `exp` / `nbf`
allowing 5 minutes' clock skew, and its `serviceurl` claim must equal the activity's `serviceUrl`.

Keys: `jwt.PyJWKClient` fetches the JWKS, caches it (`JWKS_LIFESPAN_SECONDS`) and refreshes it
once when a token names an unknown key id. The metadata document is re-read daily. PyJWKClient
fetches with blocking urllib, so it runs in a worker thread; the JWKS URL it fetches must pass the
SSRF guard's URL checks (trusted hosts allowed).

Not checked: the JWKS keys' `endorsements` (the channel ids a key may sign for).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt

from frontdesk.errors import Forbidden, ToolFailure, Unauthenticated
from frontdesk.tools.helpers.net import OutboundHttp, check_url

BOT_CONNECTOR_ISSUER = "https://api.botframework.com"
CLOCK_SKEW_SECONDS = 300
METADATA_LIFESPAN_SECONDS = 24 * 3600
JWKS_LIFESPAN_SECONDS = 3600
FETCH_TIMEOUT_SECONDS = 10.0


def same_service_url(a: str, b: str) -> bool:
    return a.rstrip("/").lower() == b.rstrip("/").lower()


class BotConnectorAuth:
    def __init__(self, app_id: str, openid_url: str, http: OutboundHttp) -> None:
        self.app_id = app_id
        self.openid_url = openid_url
        self.http = http
        self._keys: jwt.PyJWKClient | None = None
        self._keys_until = 0.0
        self._lock = asyncio.Lock()

    async def _key_client(self) -> jwt.PyJWKClient:
        async with self._lock:
            if self._keys is None or time.monotonic() > self._keys_until:
                response = await self.http.request(
                    "GET", self.openid_url, timeout_seconds=FETCH_TIMEOUT_SECONDS
                )
                metadata = response.data()
                jwks_uri = metadata.get("jwks_uri") if isinstance(metadata, dict) else None
                if response.status_code != 200 or not isinstance(jwks_uri, str):
                    raise ToolFailure(f"OpenID metadata at {self.openid_url} has no jwks_uri")
                check_url(jwks_uri, self.http.trusted_hosts)
                self._keys = jwt.PyJWKClient(
                    jwks_uri, cache_keys=False, lifespan=JWKS_LIFESPAN_SECONDS, timeout=FETCH_TIMEOUT_SECONDS
                )
                self._keys_until = time.monotonic() + METADATA_LIFESPAN_SECONDS
            return self._keys

    async def verify(self, authorization: str | None) -> dict[str, Any]:
        """The claims of the Bot Connector's bearer token; `Unauthenticated` if it is missing or
        fails any check."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Missing Bot Connector bearer token")
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "RS256" or not header.get("kid"):
                raise Unauthenticated("Bot Connector token must be RS256 with a key id")
            keys = await self._key_client()
            key = await asyncio.to_thread(keys.get_signing_key, header["kid"])
            return jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=BOT_CONNECTOR_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as e:
            raise Unauthenticated(f"Invalid Bot Connector token ({type(e).__name__})") from e

    @staticmethod
    def check_service_url(claims: dict[str, Any], service_url: str | None) -> None:
        """The token must have been issued for the service URL the activity asks us to call."""
        claimed = claims.get("serviceurl")
        if not service_url or not isinstance(claimed, str) or not same_service_url(claimed, service_url):
            raise Forbidden("The token's serviceurl does not match the activity's serviceUrl")
