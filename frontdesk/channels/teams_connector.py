"""Calling the Bot Connector back: the bot's own token and the conversation REST API.

- Token: client credentials (`Settings.teams_app_id` / `teams_app_password`) at
  `Settings.teams_token_url`, scope `https://api.botframework.com/.default`; cached until a minute
  before it expires.
- Calls go only to service URLs whose host is one of `Settings.teams_service_url_hosts` (or a
  subdomain of one), over `OutboundHttp` (the SSRF guard).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote

import httpx

from frontdesk.errors import Forbidden, ToolFailure
from frontdesk.tools.helpers.net import OutboundHttp

BOT_SCOPE = "https://api.botframework.com/.default"
TOKEN_MARGIN_SECONDS = 60
CALL_TIMEOUT_SECONDS = 10.0


def host_allowed(host: str, allowed: list[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host == h or host.endswith(f".{h}") for h in (a.lower().strip(".") for a in allowed))


class BotConnector:
    def __init__(
        self, app_id: str, app_password: str, token_url: str, service_hosts: list[str], http: OutboundHttp
    ) -> None:
        self.app_id = app_id
        self._password = app_password
        self.token_url = token_url
        self.service_hosts = service_hosts
        self.http = http
        self._token: tuple[str, float] | None = None
        self._lock = asyncio.Lock()

    def check_service_url(self, service_url: str | None) -> str:
        """`service_url` if the bot may call it; `Forbidden` otherwise."""
        try:
            url = httpx.URL(service_url or "")
        except httpx.InvalidURL as e:
            raise Forbidden("The activity's serviceUrl is not a URL") from e
        if (
            url.scheme not in ("https", "http")
            or not url.host
            or not host_allowed(url.host, self.service_hosts)
        ):
            raise Forbidden(f"Service URL host {url.host or '?'} is not an allowed Bot Framework host")
        if url.scheme == "http" and url.host not in self.http.trusted_hosts:
            raise Forbidden("Service URLs must be https")
        return str(service_url)

    async def token(self) -> str:
        async with self._lock:
            if self._token is not None and time.monotonic() < self._token[1]:
                return self._token[0]
            response = await self.http.request(
                "POST",
                self.token_url,
                form={
                    "grant_type": "client_credentials",
                    "client_id": self.app_id,
                    "client_secret": self._password,
                    "scope": BOT_SCOPE,
                },
                timeout_seconds=CALL_TIMEOUT_SECONDS,
            )
            body = response.data()
            if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
                raise ToolFailure(f"The Bot Framework token endpoint answered {response.status_code}")
            lifetime = float(body.get("expires_in", 3600))
            self._token = (str(body["access_token"]), time.monotonic() + lifetime - TOKEN_MARGIN_SECONDS)
            return self._token[0]

    async def _call(self, method: str, service_url: str, path: str, payload: Any = None) -> Any:
        base = self.check_service_url(service_url).rstrip("/")
        headers = {"Authorization": f"Bearer {await self.token()}"}
        response = await self.http.request(
            method, f"{base}{path}", headers=headers, payload=payload, timeout_seconds=CALL_TIMEOUT_SECONDS
        )
        if response.status_code == 401:
            self._token = None  # a revoked or rotated token: the next call fetches a new one
        if response.status_code >= 400:
            raise ToolFailure(f"The Bot Connector answered {response.status_code} to {method} {path}")
        return response.data()

    async def send(self, service_url: str, conversation_id: str, activity: dict[str, Any]) -> Any:
        path = f"/v3/conversations/{quote(conversation_id, safe='')}/activities"
        return await self._call("POST", service_url, path, activity)

    async def reply(
        self, service_url: str, conversation_id: str, reply_to_id: str, activity: dict[str, Any]
    ) -> Any:
        conv, reply_to = quote(conversation_id, safe=""), quote(reply_to_id, safe="")
        return await self._call(
            "POST", service_url, f"/v3/conversations/{conv}/activities/{reply_to}", activity
        )

    async def member(self, service_url: str, conversation_id: str, member_id: str) -> dict[str, Any]:
        conv, member = quote(conversation_id, safe=""), quote(member_id, safe="")
        data = await self._call("GET", service_url, f"/v3/conversations/{conv}/members/{member}")
        return data if isinstance(data, dict) else {}
