"""The chat page in a real browser (Playwright driving Debian's chromium) against a real server.

One server (the session's) and one browser for the module. Each test opens its own browser
context, records every request and console message, and writes a screenshot of each step to
`tests/web/artifacts/` (git-ignored). Users are registered here, so the module runs on the SQLite
and the PostgreSQL pass alike.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from tests.conftest import auth, register
from tests.media_samples import HAVE_SPEECH_TOOLS, speech_wav

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed (/usr/bin/chromium): `apt-get install chromium` (.ci/run does)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, expect, sync_playwright  # noqa: E402

ARTIFACTS = Path(__file__).parent / "artifacts"
XSS_NAME = "<img src=x onerror=alert(1)>"
QUESTION = "which contacts are tagged VIP?"
SPOKEN = "How many contacts are tagged VIP?"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


@dataclass
class Account:
    email: str
    password: str
    headers: dict[str, str]
    vip_total: int


@dataclass
class Recorder:
    """What a page did: every request URL and every console error or uncaught exception."""

    base_url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} @ {message.location.get('url')}")

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith((self.base_url + "/", "data:", "blob:"))]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Chromium with a fake microphone that plays a spoken question (espeak-ng) and a fake camera."""
    ARTIFACTS.mkdir(exist_ok=True)
    print(f"\nscreenshots: {ARTIFACTS}")
    args = ["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
    if HAVE_SPEECH_TOOLS:
        wav = tmp_path_factory.mktemp("speech") / "question.wav"
        wav.write_bytes(speech_wav(SPOKEN, rate=48_000, pad_seconds=6.0))
        args.append(f"--use-file-for-fake-audio-capture={wav}")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield b
        b.close()


@pytest.fixture(scope="module")
def account(base_url: str) -> Account:
    """A fresh user whose CRM has four VIP contacts (one named like an XSS payload) and two others."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        tokens = register(client, "Webpage")
        headers = auth(tokens)
        people = [
            ("Ada Lovelace", ["VIP"]),
            ("Grace Hopper", ["VIP", "speaker"]),
            ("Alan Turing", ["VIP"]),
            (XSS_NAME, ["VIP"]),
            ("Edsger Dijkstra", ["newsletter"]),
            ("Barbara Liskov", []),
        ]
        for name, tags in people:
            email = f"{uuid.uuid4().hex[:10]}@example.com"
            body = {"name": name, "email": email, "tags": tags}
            r = client.post("/api/contacts", json=body, headers=headers)
            assert r.status_code == 201, r.text
        r = client.get("/api/contacts", params={"tags": "VIP"}, headers=headers)
        assert r.status_code == 200, r.text
        total = r.json()["total"]
    assert total == 4
    return Account(str(tokens["email"]), str(tokens["password"]), headers, total)


@pytest.fixture
def page_for(browser: Browser, base_url: str) -> Iterator[Any]:
    """`page_for(viewport)` -> (page, recorder); contexts are closed after the test."""
    contexts = []

    def make(viewport: str = "desktop") -> tuple[Page, Recorder]:
        context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=base_url)
        contexts.append(context)
        page = context.new_page()
        recorder = Recorder(base_url)
        recorder.attach(page)
        return page, recorder

    yield make
    for context in contexts:
        context.close()


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=full_page)


def sign_in(page: Page, account: Account) -> None:
    """By keyboard: the email field has focus when the page opens."""
    page.goto("/")
    expect(page.get_by_label("Email")).to_be_focused()
    page.keyboard.type(account.email)
    page.keyboard.press("Tab")
    page.keyboard.type(account.password)
    page.keyboard.press("Enter")
    expect(page.locator("#app-view")).to_be_visible()


def ask(page: Page, text: str) -> Any:
    """Type into the composer, send with Enter, and wait for the answer to finish."""
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    answer = page.locator(".message.assistant").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=30_000)
    return answer


def show_sidebar(page: Page, viewport: str) -> None:
    if viewport == "phone":
        page.get_by_role("button", name="Conversations").click()
        expect(page.locator("#sidebar")).to_be_in_viewport()


def conversation_ids(account: Account, base_url: str) -> list[str]:
    r = httpx.get(f"{base_url}/chat/conversations", headers=account.headers, timeout=30)
    return [c["conversation_id"] for c in r.json()["conversations"]]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_ask_reload_rename_open_delete(page_for: Any, account: Account, base_url: str, viewport: str) -> None:
    page, rec = page_for(viewport)
    # A wrong password first: the message says so, in words.
    page.goto("/")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert").first).to_have_text("Wrong email or password.")
    shot(page, f"{viewport}-01-wrong-password")

    sign_in(page, account)
    # The empty state's examples come from this account's data (its most used tag is VIP).
    suggestion = page.get_by_role("button", name="Which contacts are tagged VIP?")
    expect(suggestion).to_be_visible()
    shot(page, f"{viewport}-02-signed-in")

    # Shift+Enter breaks the line and sends nothing.
    box = page.get_by_role("textbox", name="Message")
    box.fill("line one")
    box.press("Shift+Enter")
    expect(box).to_have_value("line one\n")
    expect(page.locator(".message")).to_have_count(0)

    box.fill("")
    if viewport == "phone":  # an example question sends when tapped
        suggestion.click()
        answer = page.locator(".message.assistant").last
        expect(answer).to_have_attribute("aria-busy", "false", timeout=30_000)
    else:
        answer = ask(page, QUESTION)
    expect(answer.locator(".body")).to_contain_text(f"{account.vip_total} contacts tagged VIP")
    expect(answer.locator(".department")).to_have_text("Marketing")
    card = answer.locator(".tool-card")
    expect(card.locator(".tool-name")).to_have_text("get_contacts")
    expect(card.locator(".tool-state")).to_have_text(f"{account.vip_total} found")
    card.locator("summary").click()
    table = card.locator("table.records")
    expect(table.locator("tbody tr")).to_have_count(account.vip_total)
    # The XSS contact is text, in the table and in the Markdown answer; nothing ran.
    expect(table.get_by_role("cell", name=XSS_NAME, exact=True)).to_have_count(1)
    expect(answer.locator(".body li", has_text=XSS_NAME)).to_have_count(1)
    assert page.locator("#messages img").count() == 0
    shot(page, f"{viewport}-03-answer-with-tool-card")

    conv_id = conversation_ids(account, base_url)[0]
    page.reload()
    expect(page.locator(".message.assistant")).to_have_count(1)  # the open conversation came back
    show_sidebar(page, viewport)
    item = page.locator(f'.conversation[data-id="{conv_id}"]')
    expect(item).to_contain_text(re.compile(re.escape(QUESTION), re.I))
    shot(page, f"{viewport}-04-after-reload")

    # Rename it from the sidebar; the API has the new title.
    title = f"VIP check {viewport}"
    item.get_by_role("button", name=re.compile("^Rename")).click()
    rename = page.get_by_role("textbox", name=re.compile("^New title"))
    rename.fill(title)
    rename.press("Enter")
    expect(item.locator(".conversation-title")).to_have_text(title)
    got = httpx.get(f"{base_url}/chat/conversations/{conv_id}", headers=account.headers, timeout=30)
    assert got.json()["title"] == title

    # New chat, then open the conversation again from the sidebar: history with its tool card.
    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".message")).to_have_count(0)
    show_sidebar(page, viewport)
    item.locator(".conversation-open").click()
    expect(page.locator(".message.user .body")).to_have_text(re.compile(f"^{re.escape(QUESTION)}$", re.I))
    reopened = page.locator(".message.assistant")
    expect(reopened.locator(".body")).to_contain_text(f"{account.vip_total} contacts tagged VIP")
    expect(reopened.locator(".tool-card .tool-name")).to_have_text("get_contacts")
    expect(page.locator("#chat-title")).to_have_text(title)
    shot(page, f"{viewport}-05-reopened")

    # Delete it: confirm in the dialog; gone from the page and from the API.
    show_sidebar(page, viewport)
    item.get_by_role("button", name=re.compile("^Delete")).click()
    expect(page.locator("#delete-dialog")).to_be_visible()
    shot(page, f"{viewport}-06-delete-dialog")
    page.locator("#delete-confirm").click()
    expect(item).to_have_count(0)
    expect(page.locator("#empty-state")).to_be_visible()
    r = httpx.get(f"{base_url}/chat/conversations/{conv_id}", headers=account.headers, timeout=30)
    assert r.status_code == 404
    shot(page, f"{viewport}-07-deleted")

    assert rec.dialogs == []
    assert rec.foreign_requests() == []
    expected = [e for e in rec.errors if "401" in e and "/auth/login" in e]  # the wrong password
    assert len(expected) <= 1 and [e for e in rec.errors if e not in expected] == []


def test_dropped_stream_resumes_with_last_event_id(page_for: Any, account: Account) -> None:
    """The answer's connection ends after the tool result; the page resumes the turn from there."""
    page, rec = page_for("desktop")
    cut: dict[str, str] = {}
    resumed: list[dict[str, str]] = []

    def truncate(route: Route, request: Request) -> None:
        if request.method != "POST":
            route.continue_()
            return
        response = route.fetch()
        frames = response.text().split("\n\n")
        kept = [f for f in frames if f.strip()][:3]  # agent, tool_call, tool_result
        cut["turn_id"] = response.headers["x-turn-id"]
        cut["last_id"] = kept[-1].split("\n")[0].removeprefix("id: ")
        route.fulfill(response=response, body="\n\n".join(kept) + "\n\n")

    page.route(re.compile(r"/chat/conversations/[^/]+/messages$"), truncate)
    stream = re.compile(r"/chat/turns/[^/]+/stream$")
    page.on("request", lambda r: resumed.append(r.headers) if stream.search(r.url) else None)
    sign_in(page, account)
    answer = ask(page, QUESTION)
    expect(answer.locator(".body")).to_contain_text(f"{account.vip_total} contacts tagged VIP")
    assert cut["last_id"] == f"{cut['turn_id']}-3"
    assert resumed and resumed[0].get("last-event-id") == cut["last_id"]
    # Nothing shown twice: one tool card, one answer.
    expect(answer.locator(".tool-card")).to_have_count(1)
    assert answer.locator(".body").inner_text().count("contacts tagged VIP") == 1
    shot(page, "desktop-08-resumed")
    assert rec.foreign_requests() == [] and rec.errors == []


def test_stop_cancels_the_running_turn(page_for: Any, account: Account) -> None:
    """Stop sends DELETE /chat/turns/{id} for the running turn and ends the answer on the page.
    (The offline model answers in milliseconds, so the stream is held open by the test.)"""
    page, rec = page_for("desktop")
    held: dict[str, str] = {}
    deletes: list[str] = []

    def first_event_only(route: Route, request: Request) -> None:
        if request.method != "POST":
            route.continue_()
            return
        response = route.fetch()
        held["turn_id"] = response.headers["x-turn-id"]
        first = response.text().split("\n\n")[0]
        route.fulfill(response=response, body=first + "\n\n")

    page.route(re.compile(r"/chat/conversations/[^/]+/messages$"), first_event_only)
    page.route(re.compile(r"/chat/turns/[^/]+/stream$"), lambda route: None)  # never answers
    page.on("request", lambda r: deletes.append(r.url) if r.method == "DELETE" else None)
    sign_in(page, account)
    box = page.get_by_role("textbox", name="Message")
    box.fill(QUESTION)
    box.press("Enter")
    stop = page.get_by_role("button", name="Stop the answer")
    expect(page.locator(".message.assistant .department")).to_have_text("Marketing")  # it has begun
    stop.click()
    answer = page.locator(".message.assistant").last
    expect(answer).to_contain_text("Stopped.")
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    assert [unquote(urlsplit(u).path) for u in deletes] == [f"/chat/turns/{held['turn_id']}"]
    shot(page, "desktop-09-stopped")
    # The turn had already finished at the server, so the DELETE was a 409 (a logged 4xx).
    assert [e for e in rec.errors if "409" not in e] == []
    assert rec.foreign_requests() == []


def test_rate_limited_sign_in_says_when_to_retry(page_for: Any, account: Account) -> None:
    page, rec = page_for("phone")
    page.route(
        "**/auth/login",
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "42", "Content-Type": "application/json"},
            body=json.dumps({"detail": "Too many requests", "code": "rate_limited"}),
        ),
    )
    page.goto("/")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert").first).to_have_text("Too many attempts. Try again in 42 seconds.")
    shot(page, "phone-10-rate-limited")
    assert [e for e in rec.errors if "429" not in e] == []


def test_page_headers_forbid_inline_code_and_other_hosts(base_url: str) -> None:
    r = httpx.get(base_url + "/", timeout=30)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "style-src 'self';" in csp and "'unsafe-inline'" not in csp
    assert "connect-src 'self'" in csp and "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "<script>" not in r.text and " style=" not in r.text  # no inline code for the CSP to allow
    assert not re.search(r"(src|href)=\"(https?:)?//", r.text)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_render_with_other_hosts_blocked(page_for: Any, base_url: str, path: str) -> None:
    page, rec = page_for("desktop")
    blocked: list[str] = []

    def only_this_origin(route: Route, request: Request) -> None:
        if request.url.startswith(base_url + "/"):
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    page.context.route("**/*", only_this_origin)
    page.goto(path)
    if path == "/docs":
        expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=30_000)
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("frontdesk")
        expect(page.locator(".swagger-ui")).to_contain_text("/auth/login")  # later tags render lazily
    else:
        expect(page.locator(".api-content h1").first).to_contain_text("frontdesk", timeout=30_000)
        expect(page.locator(".menu-content")).to_contain_text("chat")
    shot(page, f"desktop-11{path.replace('/', '-')}", full_page=False)  # the docs are very long
    assert blocked == [] and rec.foreign_requests() == []
    assert rec.errors == []


def test_attach_a_document_and_ask_about_it(page_for: Any, account: Account, tmp_path: Path) -> None:
    """The attach button appears because the server has /chat/send-media; the file and the
    composer's text go there, and the answer quotes the document."""
    page, rec = page_for("desktop")
    notes = tmp_path / "opening-hours.txt"
    notes.write_text(
        "Opening hours\n\nThe front desk opens at 8:30 on weekdays.\n\n"
        "Parking is free for visitors in the north garage.\n"
    )
    sign_in(page, account)
    expect(page.get_by_role("button", name="Attach a file")).to_be_visible()
    page.get_by_role("textbox", name="Message").fill("When does the front desk open?")
    page.locator("#attach-input").set_input_files(notes)
    answer = page.locator(".message.assistant").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=60_000)
    expect(answer.locator(".body")).to_contain_text("8:30")
    expect(page.locator(".message.user").last).to_contain_text("opening-hours.txt")
    shot(page, "desktop-12-attached-document")
    assert rec.foreign_requests() == [] and rec.errors == []


@pytest.mark.skipif(not HAVE_SPEECH_TOOLS, reason="needs espeak-ng and sox for the spoken question")
def test_hold_to_talk_asks_by_voice(page_for: Any, account: Account, base_url: str) -> None:
    """Hold the microphone button: MediaRecorder's WebM/Opus goes over WS /chat/ws, the final
    transcript becomes the question, and the answer streams in."""
    page, rec = page_for("desktop")
    page.context.grant_permissions(["microphone", "camera"])
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    sign_in(page, account)
    mic = page.get_by_role("button", name="Hold to talk")
    expect(mic).to_be_visible()
    mic.hover()
    page.mouse.down()
    expect(mic).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(4000)  # the spoken question is ~2.5 s, then silence
    shot(page, "desktop-13-holding-the-microphone")
    page.mouse.up()
    expect(mic).to_have_attribute("aria-pressed", "false")
    question = page.locator(".message.user").last
    expect(question).to_contain_text("VIP", timeout=60_000)
    answer = page.locator(".message.assistant").last
    expect(answer).to_have_attribute("aria-busy", "false", timeout=60_000)
    expect(answer.locator(".body")).to_contain_text(f"{account.vip_total} contacts tagged VIP")
    expect(page.locator("#composer-error")).to_have_text("")  # the socket reported no error
    expect(page.locator('.conversation-open[aria-current="page"]')).to_have_count(1)  # in the sidebar
    shot(page, "desktop-14-voice-answer")
    assert [urlsplit(u).path for u in sockets] == ["/chat/ws"]
    assert urlsplit(sockets[0]).netloc == urlsplit(base_url).netloc
    assert rec.foreign_requests() == [] and rec.errors == []


def test_register_refresh_on_401_and_sign_out(page_for: Any, base_url: str) -> None:
    """Create an account on the page; an access token the server refuses is refreshed once with
    the refresh token; signing out revokes the refresh token."""
    page, rec = page_for("phone")
    refreshes: list[int] = []
    page.on("response", lambda r: refreshes.append(r.status) if r.url.endswith("/auth/refresh") else None)
    page.goto("/")
    page.get_by_role("tab", name="Create account").click()
    page.get_by_label("Your name").fill("Newcomer")
    page.get_by_label("Email").fill(f"newcomer-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").last.click()
    expect(page.get_by_role("alert").first).to_have_text("Choose a password of at least 8 characters.")
    page.get_by_label("Password").fill("correct-horse-2")
    page.get_by_role("button", name="Create account").last.click()
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.locator(".suggestion").first).to_be_visible()  # a new account gets general examples
    shot(page, "phone-15-registered")

    session = page.evaluate("JSON.parse(localStorage.getItem('frontdesk.session'))")
    page.evaluate(
        "s => localStorage.setItem('frontdesk.session', JSON.stringify({...s, access_token: 'expired'}))",
        session,
    )
    page.reload()
    expect(page.locator("#app-view")).to_be_visible()
    expect(page.locator(".suggestion").first).to_be_visible()
    assert refreshes == [200]

    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#auth-view")).to_be_visible()
    expect(page.get_by_role("alert").first).to_have_text("You are signed out.")
    r = httpx.post(f"{base_url}/auth/refresh", json={"refresh_token": session["refresh_token"]}, timeout=30)
    assert r.status_code == 401
    assert page.evaluate("localStorage.getItem('frontdesk.session')") is None
    expected = [e for e in rec.errors if "401" in e and "/auth/me" in e]  # the refused token
    assert len(expected) == 1 and [e for e in rec.errors if e not in expected] == []
    assert rec.foreign_requests() == []
