"""A local fake of Twilio's REST API (the Messages resource), served by a real uvicorn on loopback,
and `sign`, which signs a webhook the way Twilio does (the `twilio` SDK's `RequestValidator`)."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from twilio.request_validator import RequestValidator

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-test-auth-token-0123456789"
FROM_NUMBER = "+15005550006"
PUBLIC_URL = "https://frontdesk.example.com"  # what Twilio calls; the server sits behind a proxy


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@dataclass
class SentSms:
    to: str
    from_: str
    body: str
    authorization: str


@dataclass
class FakeTwilio:
    sent: list[SentSms] = field(default_factory=list)
    url: str = ""

    def to(self, number: str) -> list[SentSms]:
        return [m for m in self.sent if m.to == number]

    def wait_for(self, number: str, count: int, timeout: float = 20.0) -> list[SentSms]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.to(number)) >= count:
                return self.to(number)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} SMS to {number}, got {len(self.to(number))}")

    async def create_message(self, request: Request) -> JSONResponse:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        auth = request.headers.get("authorization", "")
        if auth != expected or request.path_params["sid"] != ACCOUNT_SID:
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
        form = await request.form()
        msg = SentSms(str(form["To"]), str(form["From"]), str(form["Body"]), auth)
        self.sent.append(msg)
        return JSONResponse(self._resource(msg), status_code=201)

    @staticmethod
    def _resource(msg: SentSms) -> dict[str, Any]:
        return {
            "sid": "SM" + uuid.uuid4().hex,
            "account_sid": ACCOUNT_SID,
            "to": msg.to,
            "from": msg.from_,
            "body": msg.body,
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
        }

    def app(self) -> Starlette:
        return Starlette(
            routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self.create_message, methods=["POST"])]
        )
