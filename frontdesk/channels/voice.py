"""The voice door: one WebSocket carrying speech, camera frames and text (Mezzofy's `WS /chat/ws`).

Client -> server (JSON text frames, `type` names each):
    text          {message, session_id?}
    speech_start  {format?: wav|webm|ogg|mp3|pcm16, sample_rate?, session_id?}
    speech_audio  {data: base64 chunk}
    speech_end    {}
    camera_frame  {data: base64 JPEG/PNG, message?, session_id?}
Server -> client:
    transcript {text, is_final}, camera_analysis {description, text}, status {message},
    delta {text} (the answer as it is written), complete {response: the /chat/send JSON},
    error {detail, code}

A spoken question is a turn with channel `voice`, its transcript the stored user message. Every
turn goes through the server's runner (`turns.submit` + `turns.follow`); a socket without a
`session_id` keeps using the conversation its first turn opened. Transcription is biased with the
account's own words (`speech_prompt`). Limits (utterance length, message size, camera frames a
second) and bad input of any kind answer an `error` and the socket keeps serving. Speech, OCR
and turns run as tasks of the socket, so it keeps reading while they work; closing the socket
stops those tasks, never a turn (the turn belongs to the server and stores its answer).
Spoken replies (text-to-speech) are not implemented: `speak: true` is answered with a `status`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from frontdesk.agent.events import AgentChosen, Done, Failed, Status, TextDelta, ToolCalled
from frontdesk.agent.turns import TurnRunner
from frontdesk.config import Settings
from frontdesk.errors import FrontdeskError, Invalid, RateLimited, TooLarge
from frontdesk.ratelimit import RateLimiter, chat_key
from frontdesk.tools.media.audio import FORMATS, MAX_BYTES_PER_SECOND, SAMPLE_RATE, decode_audio, seconds
from frontdesk.tools.media.engines import MediaEngines
from frontdesk.tools.media.inbound import image_turn
from frontdesk.tools.media.ocr import open_image
from frontdesk.tools.media.sniff import sniff
from frontdesk.types import Attachment, InboundMessage, Principal

log = logging.getLogger(__name__)
PARTIAL_CHECK_BYTES = 8 * 1024  # new audio bytes before a partial transcript is considered


def send_json(turn_id: str, done: Done, input_summary: str = "") -> dict[str, Any]:
    """The `/chat/send` response body for a finished turn."""
    return {
        "session_id": done.conversation_id,
        "turn_id": turn_id,
        "message": done.content,
        "message_id": done.message_id,
        "agent_used": done.agent,
        "artifacts": [],
        "tokens_used": done.usage.get("total_tokens", 0),
        "input_summary": input_summary,
    }


@dataclass(eq=False)
class Utterance:
    format: str
    sample_rate: int
    session_id: str | None
    audio: bytearray = field(default_factory=bytearray)
    checked_bytes: int = 0  # buffer size when a partial transcript was last considered
    partial_seconds: float = 0.0  # audio length the last partial transcript covered
    finished: bool = False  # its final transcript was sent (later partials are dropped)


def _text_field(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(f"'{name}' must be a non-empty string")
    return value


def _b64(body: dict[str, Any]) -> bytes:
    data = body.get("data")
    if not isinstance(data, str) or not data:
        raise Invalid("'data' must be a base64 string")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as e:
        raise Invalid("'data' is not valid base64") from e


class VoiceSession:
    def __init__(
        self,
        ws: WebSocket,
        principal: Principal,
        *,
        turns: TurnRunner,
        media: MediaEngines,
        limiter: RateLimiter,
        settings: Settings,
        speech_prompt: Callable[[], Awaitable[str]],
    ) -> None:
        self.ws = ws
        self.principal = principal
        self.turns = turns
        self.media = media
        self.limiter = limiter
        self.settings = settings
        self._speech_prompt = speech_prompt
        self._prompt: str | None = None
        self.session_id: str | None = None
        self._utterance: Utterance | None = None
        self._partial: asyncio.Task[None] | None = None
        self._frames: deque[float] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._send_lock = asyncio.Lock()

    # -- the socket ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Read messages until the client leaves; then stop this socket's tasks."""
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("text")
                if raw is None:
                    raw = message.get("bytes") or b""
                await self._dispatch(raw)
        except WebSocketDisconnect:
            pass
        finally:
            for task in list(self._tasks):
                task.cancel()
            if self._tasks:
                await asyncio.wait(self._tasks, timeout=5)

    async def send(self, kind: str, **fields: Any) -> None:
        if self.ws.application_state != WebSocketState.CONNECTED:
            return
        async with self._send_lock:
            try:
                await self.ws.send_json({"type": kind, **fields})
            except (WebSocketDisconnect, RuntimeError, OSError):
                pass  # the client left; its tasks are being cancelled

    async def error(self, exc: FrontdeskError, **fields: Any) -> None:
        extra = {"retry_after": exc.retry_after} if isinstance(exc, RateLimited) else {}
        await self.send("error", detail=exc.detail, code=exc.code, **extra, **fields)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            try:
                await work
            except FrontdeskError as e:
                await self.error(e)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("voice socket task failed")
                await self.send("error", detail="Internal error while handling the message", code="internal")

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _dispatch(self, raw: str | bytes) -> None:
        try:
            if len(raw) > self.settings.voice_max_message_bytes:
                raise TooLarge(f"Messages may be at most {self.settings.voice_max_message_bytes:,} bytes")
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as e:
                raise Invalid("Messages must be JSON objects with a 'type'") from e
            if not isinstance(body, dict) or not isinstance(body.get("type"), str):
                raise Invalid("Messages must be JSON objects with a 'type'")
            handler = {
                "text": self._on_text,
                "speech_start": self._on_speech_start,
                "speech_audio": self._on_speech_audio,
                "speech_end": self._on_speech_end,
                "camera_frame": self._on_camera_frame,
            }.get(body["type"])
            if handler is None:
                raise Invalid(f"Unknown message type {body['type'][:40]!r}")
            await handler(body)
        except FrontdeskError as e:
            await self.error(e)

    # -- text ---------------------------------------------------------------------------------

    async def _on_text(self, body: dict[str, Any]) -> None:
        text = _text_field(body, "message", required=True)
        assert text is not None
        self._spawn(self.turn(text, _text_field(body, "session_id")))

    async def turn(
        self, text: str, session_id: str | None, attachments: tuple[Attachment, ...] = (), summary: str = ""
    ) -> None:
        """Submit one turn (channel `voice`) and stream it to the socket."""
        await self.limiter.ahit(chat_key(self.principal.user_id))
        inbound = InboundMessage(
            self.principal,
            text,
            conversation_id=session_id or self.session_id,
            channel="voice",
            attachments=attachments,
        )
        handle = await self.turns.submit(inbound)
        self.session_id = handle.conversation_id
        async for _, event in self.turns.follow(handle.turn_id):
            if isinstance(event, TextDelta):
                await self.send("delta", text=event.text)
            elif isinstance(event, AgentChosen):
                await self.send("status", message=f"The {event.department} agent is answering")
            elif isinstance(event, ToolCalled):
                await self.send("status", message=f"Using {event.name}")
            elif isinstance(event, Status):
                await self.send("status", message=event.text)
            elif isinstance(event, Done):
                await self.send("complete", response=send_json(handle.turn_id, event, summary))
            elif isinstance(event, Failed):
                await self.send(
                    "error",
                    detail=event.detail,
                    code=event.code,
                    session_id=handle.conversation_id,
                    turn_id=handle.turn_id,
                )

    # -- speech -------------------------------------------------------------------------------

    async def prompt(self) -> str:
        """The account's vocabulary prompt, read once per socket."""
        if self._prompt is None:
            self._prompt = await self._speech_prompt()
        return self._prompt

    async def _on_speech_start(self, body: dict[str, Any]) -> None:
        fmt = body.get("format", "wav")
        if fmt not in FORMATS:
            raise Invalid(f"'format' must be one of {', '.join(FORMATS)}")
        rate = body.get("sample_rate", SAMPLE_RATE)
        if not isinstance(rate, int) or isinstance(rate, bool) or not 8_000 <= rate <= 96_000:
            raise Invalid("'sample_rate' must be an integer between 8000 and 96000")
        self._utterance = Utterance(fmt, rate, _text_field(body, "session_id"))
        if body.get("speak"):
            await self.send(
                "status", message="Spoken replies are not available on this server; answering in text"
            )
        await self.send("status", message="Listening")

    def _max_bytes(self, utterance: Utterance) -> int:
        per_second = utterance.sample_rate * 2 if utterance.format == "pcm16" else MAX_BYTES_PER_SECOND
        return int(self.settings.voice_max_audio_seconds * per_second)

    async def _on_speech_audio(self, body: dict[str, Any]) -> None:
        utterance = self._utterance
        if utterance is None:
            raise Invalid("Send speech_start before speech_audio")
        chunk = _b64(body)
        if len(utterance.audio) + len(chunk) > self._max_bytes(utterance):
            self._utterance = None
            raise TooLarge(
                f"The utterance is longer than {self.settings.voice_max_audio_seconds:g} s; it was dropped"
            )
        utterance.audio.extend(chunk)
        grown = len(utterance.audio) - utterance.checked_bytes
        idle = self._partial is None or self._partial.done()
        if self.settings.speech_partial_seconds > 0 and idle and grown >= PARTIAL_CHECK_BYTES:
            utterance.checked_bytes = len(utterance.audio)
            partial = asyncio.create_task(self._partial_transcript(utterance, bytes(utterance.audio)))
            self._partial = partial
            self._tasks.add(partial)
            partial.add_done_callback(self._tasks.discard)

    async def _partial_transcript(self, utterance: Utterance, audio_bytes: bytes) -> None:
        """A transcript of the audio so far, when enough new audio came since the last one."""
        try:
            audio = await self.media.run(decode_audio, audio_bytes, utterance.format, utterance.sample_rate)
        except Invalid:
            return  # a container cut mid-frame may not decode yet; the final transcript will tell
        if seconds(audio) - utterance.partial_seconds < self.settings.speech_partial_seconds:
            return
        utterance.partial_seconds = seconds(audio)
        heard = await self.media.transcriber.transcribe(audio, prompt=await self.prompt())
        if heard.text and not utterance.finished:  # the speech pool is FIFO: partials come first
            await self.send("transcript", text=heard.text, is_final=False)

    async def _on_speech_end(self, body: dict[str, Any]) -> None:
        utterance, self._utterance = self._utterance, None
        if utterance is None:
            raise Invalid("Send speech_start and speech_audio before speech_end")
        if not utterance.audio:
            raise Invalid("No audio was sent for this utterance")
        self._spawn(self._final_transcript(utterance))

    async def _final_transcript(self, utterance: Utterance) -> None:
        ended = time.perf_counter()
        audio = await self.media.run(
            decode_audio, bytes(utterance.audio), utterance.format, utterance.sample_rate
        )
        if seconds(audio) > self.settings.voice_max_audio_seconds:
            raise TooLarge(f"The utterance is longer than {self.settings.voice_max_audio_seconds:g} s")
        heard = await self.media.transcriber.transcribe(audio, prompt=await self.prompt())
        if not heard.text:
            utterance.finished = True
            raise Invalid("No speech was heard in the audio")
        utterance.finished = True
        latency_ms = round((time.perf_counter() - ended) * 1000)
        await self.send(
            "transcript",
            text=heard.text,
            is_final=True,
            audio_seconds=round(heard.audio_seconds, 2),
            latency_ms=latency_ms,
        )
        await self.turn(heard.text, utterance.session_id)

    # -- camera -------------------------------------------------------------------------------

    def _count_frame(self) -> None:
        now = time.monotonic()
        while self._frames and self._frames[0] <= now - 1.0:
            self._frames.popleft()
        limit = self.settings.voice_frames_per_second
        if len(self._frames) >= limit:
            raise RateLimited(f"At most {limit:g} camera frames a second are analysed; frame dropped", 1)
        self._frames.append(now)

    async def _on_camera_frame(self, body: dict[str, Any]) -> None:
        data = _b64(body)
        message = _text_field(body, "message")
        session_id = _text_field(body, "session_id")
        self._count_frame()
        self._spawn(self._analyse(data, message, session_id))

    async def _analyse(self, data: bytes, message: str | None, session_id: str | None) -> None:
        sniffed = sniff(data)
        if sniffed is None or sniffed.kind != "image":
            await self.media.run(open_image, data)  # names what is wrong with it
            raise Invalid("camera_frame data must be a JPEG or PNG image")
        found = await self.media.reader.read(data)
        await self.send("camera_analysis", description=found.description(), text=found.text)
        if message and message.strip():
            asked = image_turn(found, data, sniffed, "camera frame", message, self.settings.max_message_chars)
            await self.turn(asked.text, session_id, asked.attachments, asked.input_summary)
