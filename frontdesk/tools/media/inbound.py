"""One medium -> the text (and attachments) of a turn, as `/chat/send-media`, `/chat/send-url` and
the WebSocket's camera frames give it to the agent.

- image: the text OCR reads in it joins the message as context (`context.with_context`); the
  picture itself is attached, so a vision-capable model sees it too.
- audio: its transcript is the question (after `message`, when one was typed).
- video: its audio track is transcribed, as audio.
- file (text, CSV, PDF, DOCX): the extracted text joins the message as context.
- a web page: its readable text joins the message as context.
Context that does not fit the message budget keeps its passages most relevant to the question.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from frontdesk.errors import Invalid, TooLarge
from frontdesk.tools.media.audio import decode_container, seconds
from frontdesk.tools.media.context import Context, with_context
from frontdesk.tools.media.engines import MediaEngines
from frontdesk.tools.media.extract import Page, document_text
from frontdesk.tools.media.ocr import ImageText
from frontdesk.tools.media.sniff import Sniffed, may_hold_audio
from frontdesk.types import Attachment

InputType = Literal["image", "video", "audio", "file"]
INPUT_TYPES: tuple[str, ...] = ("image", "video", "audio", "file")
DEFAULT_QUESTION = {
    "image": "What does this image say?",
    "file": "What is this document about?",
    "page": "What is this page about?",
}


@dataclass(frozen=True, slots=True)
class MediaTurn:
    text: str  # the user message the turn stores
    attachments: tuple[Attachment, ...] = ()
    input_summary: str = ""  # what was taken from the medium, for the response


def _message(question: str, contexts: list[Context], budget: int) -> str:
    try:
        return with_context(question, contexts, budget)
    except ValueError as e:
        raise TooLarge("The message leaves no room for the attachment's text") from e


def image_turn(
    found: ImageText, data: bytes, sniffed: Sniffed, filename: str, message: str, budget: int
) -> MediaTurn:
    question = message.strip() or DEFAULT_QUESTION["image"]
    what = "text read from an image (OCR)" if found.lines else "an image in which OCR found no text"
    text = _message(question, [Context(filename, what, found.text)], budget)
    return MediaTurn(text, (Attachment(filename, sniffed.mime, data),), found.description())


async def media_turn(
    engines: MediaEngines,
    *,
    input_type: str,
    data: bytes,
    sniffed: Sniffed,
    filename: str,
    message: str,
    budget: int,
    speech_prompt: Callable[[], Awaitable[str]],
    max_audio_seconds: float,
) -> MediaTurn:
    """The turn for one uploaded medium whose sniffed type is `sniffed` (see the module doc).
    Raises `Invalid` (wrong or unreadable content), `TooLarge` (audio over its limit)."""
    if input_type not in INPUT_TYPES:
        raise Invalid(f"input_type must be one of {', '.join(INPUT_TYPES)}, not {input_type!r}")
    if input_type == "image":
        if sniffed.kind != "image":
            raise Invalid(f"input_type is image but the file is {sniffed.mime}")
        found = await engines.reader.read(data)
        return image_turn(found, data, sniffed, filename, message, budget)
    if input_type in ("audio", "video"):
        if not may_hold_audio(sniffed):
            raise Invalid(f"input_type is {input_type} but the file is {sniffed.mime}")
        audio = await engines.run(decode_container, data)
        if seconds(audio) > max_audio_seconds:
            raise TooLarge(
                f"The audio is {seconds(audio):.0f} s long; at most {max_audio_seconds:g} s are heard"
            )
        heard = await engines.transcriber.transcribe(audio, prompt=await speech_prompt())
        if not heard.text:
            raise Invalid("No speech was heard in the audio")
        question = f"{message.strip()}\n\n{heard.text}" if message.strip() else heard.text
        summary = f"transcribed {heard.audio_seconds:.1f} s of {input_type}: {heard.text}"
        return MediaTurn(question, (), summary[:500])
    if sniffed.kind != "document":
        raise Invalid(f"input_type is file but the file is {sniffed.mime}; use image, audio or video")
    text = await engines.run(document_text, data, sniffed.mime)
    if not text.strip():
        raise Invalid("No text could be read from the document")
    question = message.strip() or DEFAULT_QUESTION["file"]
    turn_text = _message(
        question, [Context(filename, f"text of a {sniffed.file_type} document", text)], budget
    )
    return MediaTurn(turn_text, (), f"read {len(text):,} characters from {filename}")


def page_turn(page: Page, message: str, budget: int) -> MediaTurn:
    if not page.text.strip():
        raise Invalid("No readable text was found on the page")
    question = message.strip() or DEFAULT_QUESTION["page"]
    what = f"readable text of the web page {page.title!r}" if page.title else "readable text of a web page"
    text = _message(question, [Context(page.url, what, page.text)], budget)
    return MediaTurn(text, (), f"read {len(page.text):,} characters from {page.url}")
