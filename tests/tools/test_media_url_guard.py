"""The one outbound guard as `/chat/send-url` uses it: every SSRF spelling refused before a
lookup or connection, redirects followed only to targets that pass again, DNS answers pinned."""

from __future__ import annotations

import httpx
import pytest

from frontdesk.errors import Invalid, ToolFailure
from frontdesk.tools.helpers.net import OutboundHttp, check_url

PUBLIC = "93.184.215.14"


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0x7f.0.0.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://10.1/",
        "http://0/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[::1]/",
        "http://[fd12::1]/",
        "http://user:pw@example.com/",
        "http://localhost:8000/",
        "ftp://example.com/",
    ],
)
def test_each_form_is_refused_without_dns(url: str) -> None:
    with pytest.raises(Invalid):
        check_url(url)


def test_names_that_only_look_numeric_pass() -> None:
    assert check_url("http://123abc.com/").host == "123abc.com"
    assert check_url("http://1.1.1.1/").host == "1.1.1.1"


def _guard(
    routes: dict[str, httpx.Response], dns: dict[str, list[str]]
) -> tuple[OutboundHttp, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return routes.get(f"{request.headers['host']}{request.url.path}", httpx.Response(404))

    async def resolve(host: str, port: int) -> list[str]:
        return dns[host]

    return OutboundHttp(resolver=resolve, transport=httpx.MockTransport(handle)), seen


async def test_redirects_are_followed_and_checked_again() -> None:
    guard, seen = _guard(
        {
            "a.example/start": httpx.Response(302, headers={"location": "https://b.example/next"}),
            "b.example/next": httpx.Response(200, text="landed"),
            "a.example/evil": httpx.Response(301, headers={"location": "http://internal.example/"}),
            "a.example/loop": httpx.Response(302, headers={"location": "/loop"}),
        },
        {"a.example": [PUBLIC], "b.example": [PUBLIC], "internal.example": ["192.168.0.10"]},
    )
    final, response = await guard.get_following("http://a.example/start")
    assert final == "https://b.example/next" and response.body == b"landed"
    assert [(r.url.host, r.headers["host"]) for r in seen] == [(PUBLIC, "a.example"), (PUBLIC, "b.example")]
    seen.clear()
    with pytest.raises(Invalid, match=r"192\.168\.0\.10"):
        await guard.get_following("http://a.example/evil")
    assert [r.headers["host"] for r in seen] == ["a.example"]  # the private target was never contacted
    with pytest.raises(ToolFailure, match="redirects"):
        await guard.get_following("http://a.example/loop", max_redirects=2)
    assert (await guard.request("GET", "http://a.example/start")).location == "https://b.example/next"


async def test_a_name_with_any_private_answer_is_refused() -> None:
    guard, seen = _guard({}, {"mixed.example": [PUBLIC, "127.0.0.1"]})
    with pytest.raises(Invalid, match=r"127\.0\.0\.1"):
        await guard.get_following("http://mixed.example/")
    assert seen == []
