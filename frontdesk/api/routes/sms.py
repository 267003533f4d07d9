"""`POST /sms-webhook` (MyFusion "SMS Chat Webhook"): Twilio's form-encoded webhook for incoming texts.

The `X-Twilio-Signature` is checked with the `twilio` SDK's `RequestValidator` against the public URL
of this route (`FRONTDESK_PUBLIC_URL` + path, so it holds behind a proxy; the request's own URL
when unset) and `FRONTDESK_TWILIO_AUTH_TOKEN`. A bad or missing signature is 403 and nothing is
stored or sent. The answer is TwiML: `<Message>`s for an inline reply, or an empty `<Response/>`.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)
from twilio.twiml.messaging_response import MessagingResponse

from frontdesk.api.deps import ServicesDep
from frontdesk.api.doors import SMS_PATH
from frontdesk.api.openapi import errors
from frontdesk.channels.sms import InboundSms

router = APIRouter(tags=["sms"])
TWIML = "application/xml"
_TWIML_DOC = {
    200: {
        "content": {
            TWIML: {
                "schema": {"type": "string"},
                "example": "<Response><Message>There are 150 contacts.</Message></Response>",
            }
        },
        "description": "TwiML: the inline answer as `<Message>`s, or an empty `<Response/>`",
    }
}


def signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: the configured public base URL plus this path (and query)."""
    if not public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_url.rstrip('/')}{request.url.path}{query}"


def twiml(messages: list[str]) -> Response:
    reply = MessagingResponse()
    for text in messages:
        reply.message(text)
    return Response(str(reply), media_type=TWIML)


@router.post(SMS_PATH, response_class=Response, responses=_TWIML_DOC | errors(403, 503))
async def sms_webhook(request: Request, services: ServicesDep) -> Response:
    """An incoming text from Twilio (form fields `MessageSid`, `From`, `To`, `Body`). The sender's
    linked user gets an agent turn on channel `sms`; see the README's "SMS and Teams"."""
    doors = services.doors
    settings = services.settings
    if doors is None or doors.sms is None or not settings.twilio_auth_token:
        missing = ", ".join(doors.sms_missing if doors else []) or "the Twilio settings"
        raise HTTPException(503, f"SMS is not configured on this server: set {missing}")
    form = await request.form()
    validator = RequestValidator(settings.twilio_auth_token)
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature or not validator.validate(
        signed_url(request, settings.public_url), form, signature, algorithm
    ):
        raise HTTPException(403, "Invalid or missing X-Twilio-Signature")
    sid = str(form.get("MessageSid") or form.get("SmsSid") or "")
    sender = str(form.get("From") or "")
    if not sid or not sender:
        raise HTTPException(400, "MessageSid and From are required")
    sms = InboundSms(sid, sender, str(form.get("To") or ""), str(form.get("Body") or ""))
    return twiml(await doors.sms.receive(sms))
