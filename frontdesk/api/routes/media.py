"""Mezzofy's `/chat/send-media` and `/chat/send-url`: a turn about a file or a web page, answered
with the same JSON as `/chat/send`.

What each medium gives the agent is `tools/media/inbound`'s job (OCR text, transcript, document or
page text as a delimited context block). The page is fetched through the one SSRF guard,
`OutboundHttp.get_following` (http(s) only; private, loopback, link-local and metadata addresses in
any spelling refused with 400 before a connection; each redirect checked again; the checked
address is the one connected to; size and time caps).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Response, UploadFile
from fastapi.responses import JSONResponse

from frontdesk.agent.events import Failed
from frontdesk.api.deps import CurrentPrincipal, ServicesDep, chat_rate_limit
from frontdesk.api.middleware import text_problem
from frontdesk.api.openapi import errors
from frontdesk.api.routes.files import read_upload
from frontdesk.api.routes.sessions import FAILED_STATUS
from frontdesk.api.schemas.chat import SendOut
from frontdesk.api.schemas.media import SendUrlIn
from frontdesk.api.services import Services
from frontdesk.channels.voice import send_json
from frontdesk.errors import Invalid, ToolFailure
from frontdesk.tools.helpers.net import OutboundHttp, OutboundResponse
from frontdesk.tools.media.extract import Page, decode_text, page_text
from frontdesk.tools.media.inbound import INPUT_TYPES, MediaTurn, media_turn, page_turn
from frontdesk.tools.media.vocabulary import account_prompt
from frontdesk.types import InboundMessage, Principal

router = APIRouter(prefix="/chat", tags=["chat"])
_PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")


def get_page_fetcher(services: ServicesDep) -> OutboundHttp:
    """The guard `/chat/send-url` fetches with (tests replace its transport and resolver)."""
    return OutboundHttp(
        max_response_bytes=services.settings.url_fetch_max_bytes,
        trusted_hosts=services.settings.outbound_allowed_hosts,
    )


PageFetcher = Annotated[OutboundHttp, Depends(get_page_fetcher)]


async def _answer(
    services: Services, principal: Principal, turn: MediaTurn, session_id: str | None, response: Response
) -> Any:
    inbound = InboundMessage(
        principal, turn.text, conversation_id=session_id, channel="web", attachments=turn.attachments
    )
    handle = await services.turns.submit(inbound)
    outcome = await services.turns.result(handle.turn_id)
    headers = {"X-Turn-Id": handle.turn_id}
    if isinstance(outcome, Failed):
        body = {
            "detail": outcome.detail,
            "code": outcome.code,
            "session_id": handle.conversation_id,
            "turn_id": handle.turn_id,
        }
        return JSONResponse(body, status_code=FAILED_STATUS.get(outcome.code, 502), headers=headers)
    response.headers.update(headers)
    return send_json(handle.turn_id, outcome, turn.input_summary)


def _check_text(name: str, value: str | None) -> None:
    if value and (problem := text_problem(value)):
        raise Invalid(f"{name}: {problem}")


@router.post(
    "/send-media",
    dependencies=[Depends(chat_rate_limit)],
    response_model=SendOut,
    responses=errors(400, 401, 404, 409, 413, 415, 422, 429, 502, 504),
)
async def send_media(
    principal: CurrentPrincipal,
    services: ServicesDep,
    response: Response,
    media_file: Annotated[UploadFile, File(description="The image, audio, video or document")],
    input_type: Annotated[str, Form(description="image / video / audio / file")],
    message: Annotated[str, Form(max_length=4000)] = "",
    session_id: Annotated[str | None, Form(max_length=128)] = None,
) -> Any:
    """A turn about one file: an image's OCR text (and the image, for a vision model), a document's
    text, or a recording's transcript as the question. Same answer as `/chat/send`; what was taken
    from the file is in `input_summary`."""
    if input_type not in INPUT_TYPES:
        raise Invalid(f"input_type must be one of {', '.join(INPUT_TYPES)}", code="unsupported_input_type")
    _check_text("message", message)
    _check_text("session_id", session_id)
    data, sniffed = await read_upload(media_file, services.settings.upload_max_mib, "media_file")
    assert services.media is not None
    departments = list(services.agent.departments)
    turn = await media_turn(
        services.media,
        input_type=input_type,
        data=data,
        sniffed=sniffed,
        filename=media_file.filename or f"upload.{sniffed.file_type}",
        message=message,
        budget=services.settings.max_message_chars,
        speech_prompt=lambda: account_prompt(services.db, principal.account_id, departments),
        max_audio_seconds=services.settings.voice_max_audio_seconds,
    )
    return await _answer(services, principal, turn, session_id, response)


def _page_of(url: str, fetched: OutboundResponse) -> tuple[str, str]:
    """(media type, text) of a fetched page; 502 for an error status, 415 for a non-page."""
    if fetched.status_code >= 400:
        raise HTTPException(502, f"The page answered HTTP {fetched.status_code}")
    if not 200 <= fetched.status_code < 300:
        raise HTTPException(502, f"The page answered HTTP {fetched.status_code} without a page")
    media_type = fetched.content_type.split(";")[0].strip().lower() or "text/html"
    if media_type not in _PAGE_TYPES:
        raise HTTPException(415, f"{url} is {media_type}, not a web page")
    charset = next(
        (p.split("=", 1)[1].strip(" \"'") for p in fetched.content_type.split(";")[1:] if "charset=" in p),
        None,
    )
    try:
        text = fetched.body.decode(charset) if charset else decode_text(fetched.body)
    except (LookupError, UnicodeDecodeError):
        text = decode_text(fetched.body)
    return media_type, text


@router.post(
    "/send-url",
    dependencies=[Depends(chat_rate_limit)],
    response_model=SendOut,
    responses=errors(400, 401, 404, 409, 413, 415, 422, 429, 502, 504),
)
async def send_url(
    body: SendUrlIn, principal: CurrentPrincipal, services: ServicesDep, http: PageFetcher, response: Response
) -> Any:
    """Fetch a public web page and ask about its readable text (menus and footers left out).
    Refused with 400 before any connection: non-http(s) URLs, credentials in the URL, hosts that
    are or resolve to loopback, private (RFC 1918, unique local), link-local or metadata addresses,
    including IPv4-mapped IPv6 and decimal/hex/short IPv4 spellings; every redirect is checked again."""
    settings = services.settings
    try:
        final_url, fetched = await http.get_following(
            body.url,
            max_redirects=settings.url_fetch_max_redirects,
            timeout_seconds=settings.url_fetch_timeout_seconds,
        )
    except ToolFailure as e:
        raise HTTPException(502, e.detail) from e
    media_type, text = _page_of(final_url, fetched)
    assert services.media is not None
    if media_type == "text/plain":
        page = Page(final_url, "", text)
    else:
        page = await services.media.run(page_text, text, final_url)
    turn = page_turn(page, body.message, settings.max_message_chars)
    return await _answer(services, principal, turn, body.session_id, response)
