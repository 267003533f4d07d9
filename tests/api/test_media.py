"""`/chat/send-media` (image, audio, video, documents) and `/chat/send-url` against a real server
with the real speech and OCR engines. The page fetcher keeps the real SSRF guard but gets a fake
resolver and an httpx `MockTransport` (no test reaches the internet), so redirects, DNS answers and
pinning are exercised for real."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from frontdesk.api.app import create_app
from frontdesk.api.routes.media import get_page_fetcher
from frontdesk.tools.helpers.net import OutboundHttp
from tests.api.live_server import serve_app
from tests.conftest import _settings, auth, register
from tests.media_samples import docx_file, needs_speech_tools, pdf_file, speech_wav, text_image, webm_video

PUBLIC = "93.184.215.14"
PAGE = """<html><head><title>Acme pricing</title><script>track()</script></head><body>
<nav>Home | Pricing | Blog | Careers</nav>
<article><h1>Acme pricing</h1>
<p>The Starter plan costs 19 dollars a month and includes five seats for small teams.</p>
<p>The Business plan costs 99 dollars a month with unlimited seats and priority support.</p>
<p>Refunds are available within 30 days of purchase, no questions asked.</p>
</article><footer>Copyright 2026 Acme Inc. All rights reserved.</footer></body></html>"""
sent: list[httpx.Request] = []


def _page_server(request: httpx.Request) -> httpx.Response:
    sent.append(request)
    host, path = request.headers["host"], request.url.path
    if request.url.host != PUBLIC:
        return httpx.Response(500, text="connected to an address the guard did not check")
    if host == "example.com" and path == "/pricing":
        return httpx.Response(200, text=PAGE, headers={"content-type": "text/html; charset=utf-8"})
    if path == "/moved":
        return httpx.Response(301, headers={"location": "/pricing"})
    if path == "/to-metadata":
        return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
    if path == "/to-rebind":
        return httpx.Response(302, headers={"location": "http://rebind.example/"})
    if path == "/file.bin":
        return httpx.Response(200, content=b"\x00\x01", headers={"content-type": "application/octet-stream"})
    return httpx.Response(404, text="nope")


async def _resolve(host: str, port: int) -> list[str]:
    return {"example.com": [PUBLIC], "rebind.example": ["10.0.0.5"]}.get(host, [PUBLIC])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = _settings(tmp_path_factory.mktemp("media"), upload_max_mib=1)
    app = create_app(settings)
    app.dependency_overrides[get_page_fetcher] = lambda: OutboundHttp(
        resolver=_resolve, transport=httpx.MockTransport(_page_server), max_response_bytes=64 * 1024
    )
    with serve_app(app) as url:
        yield url


@pytest.fixture
def client(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=120) as c:
        yield c


@pytest.fixture
def headers(client: httpx.Client) -> dict[str, str]:
    """A fresh user with two VIP contacts."""
    h = auth(register(client, "Media"))
    for name in ("Ada Lovelace", "Alan Turing"):
        assert (
            client.post("/api/contacts", json={"name": name, "tags": ["VIP"]}, headers=h).status_code == 201
        )
    return h


def send_media(
    c: httpx.Client, h: dict[str, str], kind: str, name: str, data: bytes, **form: str
) -> httpx.Response:
    return c.post(
        "/chat/send-media",
        data={"input_type": kind, **form},
        files={"media_file": (name, data, "application/octet-stream")},
        headers=h,
    )


def stored_user_message(c: httpx.Client, h: dict[str, str], session: str) -> dict[str, Any]:
    messages = c.get(f"/chat/conversations/{session}/messages", headers=h).json()["messages"]
    return [m for m in messages if m["role"] == "user"][-1]


def test_an_image_question_is_answered_from_its_ocr_text(
    client: httpx.Client, headers: dict[str, str]
) -> None:
    image = text_image(["INVOICE 4471", "Payment due in 30 days", "Total: 1,250 EUR"])
    r = send_media(client, headers, "image", "invoice.png", image, message="What is the total?")
    assert r.status_code == 200, r.text
    body = r.json()
    assert "> Total: 1,250 EUR" in body["message"] and "Payment due" not in body["message"]
    assert "3 lines of text" in body["input_summary"] and r.headers["x-turn-id"] == body["turn_id"]
    stored = stored_user_message(client, headers, body["session_id"])["content"]
    assert stored.startswith("What is the total?") and "[attachment invoice.png:" in stored


@needs_speech_tools
@pytest.mark.parametrize("kind", ["audio", "video"])
def test_a_recording_is_transcribed_into_the_question(
    client: httpx.Client, headers: dict[str, str], kind: str
) -> None:
    """Audio: a WAV. Video: a WebM with a VP8 picture track and an Opus sound track, whose sound
    track is what is heard."""
    wav = speech_wav("How many contacts are tagged VIP?")
    data, name = (wav, "question.wav") if kind == "audio" else (webm_video(wav), "clip.webm")
    r = send_media(client, headers, kind, name, data)
    assert r.status_code == 200, r.text
    body = r.json()
    assert re.search(r"\b2\b", body["message"]), body
    assert body["input_summary"].startswith("transcribed") and "VIP" in body["input_summary"]
    assert "tagged VIP" in stored_user_message(client, headers, body["session_id"])["content"]


def test_a_document_question_quotes_the_relevant_passage(
    client: httpx.Client, headers: dict[str, str]
) -> None:
    pdf = pdf_file(
        [
            "Shipping: orders leave our warehouse within two business days.",
            "Refunds: money is returned within 14 days of the return arriving.",
            "Warranty: hardware is covered for two years from delivery.",
        ]
    )
    r = send_media(client, headers, "file", "policy.pdf", pdf, message="How long do refunds take?")
    assert r.status_code == 200, r.text
    answer = r.json()["message"]
    assert "Refunds: money is returned within 14 days" in answer
    assert "Warranty" not in answer and "Shipping" not in answer
    doc = docx_file(["Our office is in Lisbon.", "Support hours are 9 to 5 on weekdays."])
    r = send_media(client, headers, "file", "about.docx", doc, message="What are the support hours?")
    assert "Support hours are 9 to 5" in r.json()["message"] and "Lisbon" not in r.json()["message"]


def test_wrong_or_unsupported_media_is_refused(client: httpx.Client, headers: dict[str, str]) -> None:
    png = text_image(["x"], size=(64, 64))
    r = send_media(client, headers, "hologram", "x.png", png)
    assert r.status_code == 400 and r.json()["code"] == "unsupported_input_type"
    r = send_media(client, headers, "image", "doc.pdf", pdf_file(["hello"]))
    assert r.status_code == 400 and "application/pdf" in r.json()["detail"]
    r = send_media(client, headers, "audio", "x.png", png)
    assert r.status_code == 400
    assert send_media(client, headers, "file", "x.exe", b"MZ" + b"\x00" * 100).status_code == 415
    assert send_media(client, headers, "file", "big.txt", b"a " * 600_000).status_code == 413
    r = send_media(client, headers, "audio", "noise.wav", b"RIFF\x00\x00\x00\x00WAVEjunk" * 20)
    assert r.status_code in (400, 415)
    assert send_media(client, headers, "image", "x.png", png, message="bad \x00 byte").status_code == 400
    assert client.post("/chat/send-media", data={"input_type": "image"}).status_code == 401


def test_send_url_reads_the_page_and_answers_from_its_text(
    client: httpx.Client, headers: dict[str, str]
) -> None:
    sent.clear()
    r = client.post(
        "/chat/send-url",
        json={"url": "http://example.com/moved", "message": "How much is the Business plan?"},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    answer = r.json()["message"]
    assert "Business plan costs 99 dollars" in answer
    assert "Copyright" not in answer and "Careers" not in answer and "Starter" not in answer
    assert [(q.url.host, q.headers["host"], q.url.path) for q in sent] == [
        (PUBLIC, "example.com", "/moved"),  # pinned to the checked address, Host kept
        (PUBLIC, "example.com", "/pricing"),  # the redirect, checked again
    ]
    stored = stored_user_message(client, headers, r.json()["session_id"])["content"]
    assert "Copyright" not in stored and "track()" not in stored  # boilerplate and scripts left out


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "gopher://example.com/",
        "http://localhost/",
        "http://127.0.0.1/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0/",
        "http://user:secret@example.com/pricing",
        "http://rebind.example/",  # resolves to 10.0.0.5
        "http://example.com/to-metadata",  # redirects to the metadata address
        "http://example.com/to-rebind",  # redirects to a name that resolves privately
    ],
)
def test_send_url_refuses_every_ssrf_form_with_400(
    client: httpx.Client, headers: dict[str, str], url: str
) -> None:
    sent.clear()
    r = client.post("/chat/send-url", json={"url": url, "message": "hi"}, headers=headers)
    assert r.status_code == 400, (url, r.text)
    assert all(q.url.host == PUBLIC and q.url.path.startswith("/to-") for q in sent)  # never connected


def test_send_url_errors_from_the_page(client: httpx.Client, headers: dict[str, str]) -> None:
    r = client.post("/chat/send-url", json={"url": "http://example.com/missing"}, headers=headers)
    assert r.status_code == 502 and "404" in r.json()["detail"]
    r = client.post("/chat/send-url", json={"url": "http://example.com/file.bin"}, headers=headers)
    assert r.status_code == 415
