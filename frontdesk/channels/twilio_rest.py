"""Sending SMS through Twilio's REST API with the `twilio` SDK, over the SSRF guard.

The SDK builds the request (`client.messages.create_async`: URL, form body, basic auth, headers);
`GuardedTwilioHttp` is its async HTTP client, and sends it through `OutboundHttp`, so no call
leaves the process except through the guard, and nothing blocks the event loop. The API base URL
is `Settings.twilio_api_base` (tests point it at a local fake).
"""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import urlencode

from twilio.base.exceptions import TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from frontdesk.errors import FrontdeskError, ToolFailure
from frontdesk.tools.helpers.net import OutboundHttp

log = logging.getLogger(__name__)
SEND_TIMEOUT_SECONDS = 10.0


class GuardedTwilioHttp(AsyncHttpClient):  # type: ignore[misc]
    """The Twilio SDK's async HTTP client interface, implemented over `OutboundHttp`."""

    def __init__(self, http: OutboundHttp) -> None:
        super().__init__(log, True, SEND_TIMEOUT_SECONDS)
        self.http = http

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (the SDK's signature)
        allow_redirects: bool = False,
    ) -> Response:
        sent = dict(headers or {})
        sent.pop("Content-Type", None)  # OutboundHttp sets the form's content type
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            sent["Authorization"] = f"Basic {token}"
        if params:
            url = f"{url}?{urlencode(params, doseq=True)}"
        response = await self.http.request(
            method.upper(),
            url,
            headers=sent,
            form=data if method.upper() in ("POST", "PUT") else None,
            timeout_seconds=timeout or self.timeout or SEND_TIMEOUT_SECONDS,
        )
        return Response(response.status_code, response.body.decode("utf-8", "replace"), {})


class TwilioSender:
    """Sends one SMS. `send` raises `ToolFailure` when Twilio refuses or cannot be reached."""

    def __init__(
        self, account_sid: str, auth_token: str, from_number: str, api_base: str, http: OutboundHttp
    ) -> None:
        self.from_number = from_number
        # environment={}: the SDK must not read TWILIO_* variables; Settings is the only source.
        self.client = Client(account_sid, auth_token, http_client=GuardedTwilioHttp(http), environment={})
        self.client.api.base_url = api_base.rstrip("/")

    async def send(self, to: str, body: str) -> str:
        """Send `body` to `to`; return the new message's SID."""
        try:
            message: Any = await self.client.messages.create_async(to=to, from_=self.from_number, body=body)
        except TwilioRestException as e:
            raise ToolFailure(f"Twilio refused the message ({e.status}, code {e.code})") from e
        except FrontdeskError:
            raise
        return str(message.sid)
