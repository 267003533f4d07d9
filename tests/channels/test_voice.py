"""The voice door over a real WebSocket (`websockets` client) against a real uvicorn server whose
speech (faster-whisper, bundled tiny.en) and OCR (RapidOCR) engines are the real ones. One server
for the module, so each model loads once."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import _settings, auth, register, serve
from tests.media_samples import needs_speech_tools, pcm16, speech_wav, text_image, webm_opus

QUESTION = "How many contacts are tagged VIP?"
MAX_MESSAGE = 256 * 1024


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = _settings(
        tmp_path_factory.mktemp("voice"),
        voice_max_message_bytes=MAX_MESSAGE,
        voice_max_audio_seconds=6.0,
        speech_partial_seconds=1.0,
        voice_frames_per_second=2.0,
    )
    with serve(settings) as url:
        yield url


@pytest.fixture
def user(base: str) -> dict[str, Any]:
    """A fresh user whose account has two VIP contacts (and one other)."""
    with httpx.Client(base_url=base, timeout=30) as c:
        tokens = register(c, "Voice")
        headers = auth(tokens)
        for name, tags in (("Ada Lovelace", ["VIP"]), ("Alan Turing", ["VIP"]), ("Grace Hopper", [])):
            r = c.post("/api/contacts", json={"name": name, "tags": tags}, headers=headers)
            assert r.status_code == 201, r.text
    return {"token": tokens["access_token"], "headers": headers}


def ws_url(base: str, token: str) -> str:
    return base.replace("http://", "ws://") + f"/chat/ws?token={token}"


def receive(ws: ClientConnection, timeout: float = 60) -> dict[str, Any]:
    return json.loads(ws.recv(timeout=timeout))


def until(
    ws: ClientConnection, kinds: set[str], timeout: float = 90
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Messages up to and including the first whose type is in `kinds`; (that one, all before)."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        msg = receive(ws, max(deadline - time.monotonic(), 0.1))
        if msg["type"] in kinds:
            return msg, seen
        seen.append(msg)


def expect_error(ws: ClientConnection, payload: str | dict[str, Any], match: str) -> dict[str, Any]:
    ws.send(payload if isinstance(payload, str) else json.dumps(payload))
    msg, _ = until(ws, {"error"}, timeout=30)
    assert re.search(match, msg["detail"], re.I), msg
    return msg


def normal(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text.lower()).split())


def speak(ws: ClientConnection, audio: bytes, fmt: str, chunk: int = 16_000, **start: Any) -> None:
    ws.send(json.dumps({"type": "speech_start", "format": fmt, **start}))
    for i in range(0, len(audio), chunk):
        ws.send(json.dumps({"type": "speech_audio", "data": base64.b64encode(audio[i : i + chunk]).decode()}))
    ws.send(json.dumps({"type": "speech_end"}))


def test_bad_or_missing_token_is_refused_with_an_error_and_1008(base: str) -> None:
    for url in (ws_url(base, "not-a-token"), base.replace("http://", "ws://") + "/chat/ws"):
        with connect(url) as ws:
            msg = receive(ws)
            assert msg["type"] == "error" and msg["code"] == "unauthenticated"
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_text_streams_the_answer_then_completes_with_the_right_figure(
    base: str, user: dict[str, Any]
) -> None:
    with connect(ws_url(base, user["token"])) as ws:
        ws.send(json.dumps({"type": "text", "message": QUESTION}))
        done, before = until(ws, {"complete", "error"})
    assert done["type"] == "complete", done
    response = done["response"]
    assert re.search(r"\b2\b", response["message"]), response
    assert set(response) >= {"session_id", "turn_id", "message", "agent_used", "tokens_used", "artifacts"}
    assert any(m["type"] == "delta" for m in before) and any(m["type"] == "status" for m in before)
    assert "".join(m["text"] for m in before if m["type"] == "delta") == response["message"]


@needs_speech_tools
@pytest.mark.parametrize("fmt", ["wav", "webm"])
def test_an_utterance_is_transcribed_answered_and_stored_as_a_voice_turn(
    base: str, user: dict[str, Any], fmt: str
) -> None:
    """espeak-ng speech as WAV, and as WebM/Opus the way a browser's MediaRecorder sends it: the
    final transcript (biased by the account's tag VIP) and the answer; the stored user message is
    the transcript, on channel `voice`."""
    wav = speech_wav(QUESTION)
    audio = webm_opus(wav) if fmt == "webm" else wav
    with connect(ws_url(base, user["token"])) as ws:
        speak(ws, audio, fmt, chunk=8_000)
        final, _ = until(ws, {"transcript"}, timeout=120)
        while not final.get("is_final"):
            final, _ = until(ws, {"transcript"}, timeout=120)
        assert "tagged vip" in normal(final["text"]), final
        done, _ = until(ws, {"complete", "error"}, timeout=120)
    assert done["type"] == "complete", done
    assert re.search(r"\b2\b", done["response"]["message"]), done
    with httpx.Client(base_url=base, timeout=30) as c:
        session = done["response"]["session_id"]
        r = c.get(f"/chat/conversations/{session}/messages", headers=user["headers"])
        assert r.status_code == 200, r.text
        users = [m for m in r.json()["messages"] if m["role"] == "user"]
    assert users[-1]["channel"] == "voice" and users[-1]["content"] == final["text"]


@needs_speech_tools
def test_pcm16_streamed_in_real_time_gets_partial_transcripts_before_the_final(
    base: str, user: dict[str, Any]
) -> None:
    wav = speech_wav("Show me the leads from the website. Which ones are qualified?", rate=16_000)
    raw = pcm16(wav)
    half_second = 16_000  # bytes of 0.5 s at 16 kHz, 16-bit
    with connect(ws_url(base, user["token"])) as ws:
        ws.send(json.dumps({"type": "speech_start", "format": "pcm16", "sample_rate": 16_000}))
        for i in range(0, len(raw), half_second):
            chunk = base64.b64encode(raw[i : i + half_second]).decode()
            ws.send(json.dumps({"type": "speech_audio", "data": chunk}))
            time.sleep(0.15)
        ws.send(json.dumps({"type": "speech_end"}))
        transcripts = []
        while not (transcripts and transcripts[-1]["is_final"]):
            msg, _ = until(ws, {"transcript", "error"}, timeout=120)
            assert msg["type"] == "transcript", msg
            transcripts.append(msg)
        until(ws, {"complete", "error"}, timeout=120)
    assert not transcripts[0]["is_final"] and transcripts[0]["text"]
    assert "website" in normal(transcripts[-1]["text"])


def test_a_camera_frame_with_printed_text_is_read_and_a_question_about_it_quotes_it(
    base: str, user: dict[str, Any]
) -> None:
    frame = text_image(["INVOICE 4471", "Payment due in 30 days", "Total: 1,250 EUR"], fmt="JPEG")
    data = base64.b64encode(frame).decode()
    with connect(ws_url(base, user["token"])) as ws:
        ws.send(json.dumps({"type": "camera_frame", "data": data, "message": "When is the payment due?"}))
        analysis, _ = until(ws, {"camera_analysis", "error"}, timeout=120)
        done, _ = until(ws, {"complete", "error"}, timeout=120)
    assert analysis["type"] == "camera_analysis", analysis
    assert "Payment due in 30 days" in analysis["text"] and "3 lines of text" in analysis["description"]
    assert done["type"] == "complete", done
    answer = done["response"]["message"]
    assert "> Payment due in 30 days" in answer and "1,250" not in answer  # the passage, not a dump


@needs_speech_tools
def test_garbage_in_every_message_type_is_an_error_and_the_socket_keeps_serving(
    base: str, user: dict[str, Any]
) -> None:
    with connect(ws_url(base, user["token"]), max_size=None) as ws:
        expect_error(ws, "this is not json", "JSON")
        expect_error(ws, "[1, 2]", "JSON objects")
        expect_error(ws, {"type": "dance"}, "Unknown message type")
        expect_error(ws, {"type": "text"}, "'message'")
        expect_error(ws, {"type": "text", "message": "hi", "session_id": "conv:nope"}, "not found")
        expect_error(ws, {"type": "speech_audio", "data": "AAAA"}, "speech_start")
        expect_error(ws, {"type": "speech_end"}, "speech_start")
        expect_error(ws, {"type": "speech_start", "format": "flac"}, "'format'")
        expect_error(ws, {"type": "speech_start", "format": "pcm16", "sample_rate": 3}, "sample_rate")
        ws.send(json.dumps({"type": "speech_start", "format": "webm"}))
        expect_error(ws, {"type": "speech_audio", "data": "@@not base64@@"}, "base64")
        ws.send(
            json.dumps(
                {"type": "speech_audio", "data": base64.b64encode(b"\x1aE\xdf\xa3 junk" * 50).decode()}
            )
        )
        expect_error(ws, {"type": "speech_end"}, "could not be decoded")
        expect_error(ws, {"type": "camera_frame", "data": "%%%"}, "base64")
        expect_error(ws, {"type": "camera_frame", "data": base64.b64encode(b"GIF? no").decode()}, "image")
        expect_error(ws, {"type": "text", "message": "x" * (MAX_MESSAGE + 10)}, "at most")
        # over the utterance limit (6 s here): 7 s of pcm16 silence
        ws.send(json.dumps({"type": "speech_start", "format": "pcm16", "sample_rate": 16_000}))
        second = base64.b64encode(b"\x00\x00" * 16_000).decode()
        for _ in range(6):
            ws.send(json.dumps({"type": "speech_audio", "data": second}))
        expect_error(ws, {"type": "speech_audio", "data": second}, "longer than 6 s")
        # the camera's frame rate: the third frame in a second is dropped
        tiny = base64.b64encode(text_image(["x"], size=(64, 64))).decode()
        for _ in range(2):
            ws.send(json.dumps({"type": "camera_frame", "data": tiny}))
        expect_error(ws, {"type": "camera_frame", "data": tiny}, "frames a second")
        ws.send(json.dumps({"type": "text", "message": QUESTION}))
        done, _ = until(ws, {"complete"})
    assert re.search(r"\b2\b", done["response"]["message"])


@needs_speech_tools
def test_the_server_keeps_serving_while_it_transcribes(base: str, user: dict[str, Any]) -> None:
    wav = speech_wav("Hello, this is a longer clip for the transcriber.", pad_seconds=5.5)
    with connect(ws_url(base, user["token"])) as ws, httpx.Client(base_url=base, timeout=10) as c:
        speak(ws, wav, "wav", chunk=64_000)
        time.sleep(0.2)
        slowest = 0.0
        for _ in range(5):
            started = time.perf_counter()
            assert c.get("/health").status_code == 200
            slowest = max(slowest, time.perf_counter() - started)
        final, _ = until(ws, {"transcript"}, timeout=120)
        while not final["is_final"]:
            final, _ = until(ws, {"transcript"}, timeout=120)
    assert slowest < 1.0, f"/health took {slowest:.2f}s during a transcription"


def test_a_turn_over_the_per_user_chat_limit_is_an_error_on_the_socket(tmp_path: Path) -> None:
    """The REST chat limit counts WebSocket turns too (one limiter, `chat:<user_id>`)."""
    settings = _settings(tmp_path, chat_rate_limit_per_minute=1, demo_data=False)
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("needs its own server database; runs on the SQLite pass")
    with serve(settings) as base, httpx.Client(base_url=base, timeout=30) as c:
        tokens = register(c, f"Limited{uuid.uuid4().hex[:4]}")
        with connect(ws_url(base, str(tokens["access_token"]))) as ws:
            ws.send(json.dumps({"type": "text", "message": QUESTION}))
            until(ws, {"complete"})
            ws.send(json.dumps({"type": "text", "message": QUESTION}))
            error, _ = until(ws, {"error"})
    assert error["code"] == "rate_limited" and error["retry_after"] >= 1
