"""webhook_call and the SSRF-safe outbound gate. No real network: DNS answers come from a fake
resolver and HTTP from respx, which also refuses any request no route expects."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import httpx
import pytest
import respx

from frontdesk.config import Settings
from frontdesk.errors import Invalid, ToolFailure
from frontdesk.storage.db import Database
from frontdesk.storage.helper_models import Helper
from frontdesk.tools.base import ToolContext
from frontdesk.tools.helpers import manage
from frontdesk.tools.helpers.net import OutboundHttp, check_url, refusal
from frontdesk.tools.registry import default_registry
from tests.conftest import new_identity
from tests.tools.test_helpers_types import add_contact, run_here

PUBLIC = "93.184.216.34"
REG_TOOLS = default_registry()


def resolving_to(*addresses: str) -> OutboundHttp:
    async def resolver(host: str, port: int) -> list[str]:
        assert host == "hooks.example.com"
        return list(addresses)

    return OutboundHttp(resolver=resolver, max_response_bytes=1024)


async def run_webhook(
    ctx: ToolContext, cfg: dict[str, Any], http: OutboundHttp, **kwargs: Any
) -> dict[str, Any]:
    helper = await manage.create_helper(ctx, name="hook", helper_type="webhook_call", config=cfg)
    return await run_here(ctx, helper["helper_id"], http=http, **kwargs)


@pytest.fixture
async def ctx(db: Database, settings: Settings) -> ToolContext:
    return ToolContext((await new_identity(db, "Hooks")).principal(), db, settings)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "::",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", [PUBLIC, "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://hooks.example.com/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("https://user:pw@hooks.example.com/", "credentials"),
        ("http://localhost:8000/", "not allowed"),
        ("http://metadata.google.internal/computeMetadata/v1/", "not allowed"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:8000/", "loopback"),
        ("http://10.0.0.8/hook", "private"),
    ],
)
def test_urls_refused_before_any_lookup(url: str, why: str) -> None:
    with pytest.raises(Invalid, match=why):
        check_url(url)


async def test_host_resolving_to_a_private_address_is_refused() -> None:
    for answer in (["10.0.0.5"], [PUBLIC, "127.0.0.1"], ["::ffff:169.254.169.254"]):
        with respx.mock:  # any request reaching the transport would fail the test
            with pytest.raises(Invalid, match=r"Refused: hooks\.example\.com resolves to"):
                await resolving_to(*answer).request("POST", "https://hooks.example.com/x", payload={})


async def test_request_is_pinned_to_the_checked_address_and_capped() -> None:
    gate = resolving_to(PUBLIC)
    with respx.mock:
        route = respx.post(f"https://{PUBLIC}/hook").mock(return_value=httpx.Response(200, json={"ok": True}))
        ok = await gate.request(
            "POST", "https://hooks.example.com/hook", headers={"X-Token": "t"}, payload={"a": 1}
        )
        sent = route.calls.last.request
        assert sent.headers["host"] == "hooks.example.com" and sent.headers["x-token"] == "t"
        assert sent.extensions["sni_hostname"] == "hooks.example.com"
        assert json.loads(sent.content) == {"a": 1}
        assert (ok.status_code, ok.data(), ok.address, ok.truncated) == (200, {"ok": True}, PUBLIC, False)
        respx.post(f"https://{PUBLIC}/big").mock(return_value=httpx.Response(200, content=b"x" * 5000))
        big = await gate.request("POST", "https://hooks.example.com/big")
        assert big.truncated is True and len(big.body) == 1024
        respx.post(f"https://{PUBLIC}/moved").mock(
            return_value=httpx.Response(302, headers={"location": "http://169.254.169.254/"})
        )
        moved = await gate.request("POST", "https://hooks.example.com/moved")
        assert moved.status_code == 302  # not followed
        respx.post(f"https://{PUBLIC}/down").mock(side_effect=httpx.ConnectTimeout)
        with pytest.raises(ToolFailure, match="failed: ConnectTimeout"):
            await gate.request("POST", "https://hooks.example.com/down")


async def test_webhook_helper_posts_the_contact(ctx: ToolContext) -> None:
    cid = await add_contact(ctx.db, ctx.principal.account_id, "Web", "Hook", email="web@hook.example")
    cfg = {"url": "https://hooks.example.com/crm", "headers": {"Authorization": "Bearer s3cret"}}
    with respx.mock:
        route = respx.post(f"https://{PUBLIC}/crm").mock(return_value=httpx.Response(201, json={"id": 7}))
        execution = await run_webhook(ctx, cfg, resolving_to(PUBLIC), contact_id=cid, input={"reason": "won"})
        body = json.loads(route.calls.last.request.content)
    assert execution["status"] == "completed", execution["error_message"]
    assert execution["output"]["status_code"] == 201 and execution["output"]["response"] == {"id": 7}
    assert body["contact"]["email"] == "web@hook.example" and body["input"] == {"reason": "won"}
    assert body["execution_id"] == execution["execution_id"]


async def test_webhook_helper_fails_on_error_status_and_refused_hosts(ctx: ToolContext) -> None:
    cfg = {"url": "https://hooks.example.com/crm"}
    with respx.mock:
        respx.post(f"https://{PUBLIC}/crm").mock(return_value=httpx.Response(500))
        failed = await run_webhook(ctx, cfg, resolving_to(PUBLIC))
    assert failed["status"] == "failed" and failed["error_message"] == "Webhook answered HTTP 500"
    with respx.mock:
        refused = await run_webhook(ctx, cfg, resolving_to("192.168.0.10"))
    assert (
        refused["status"] == "failed"
        and "resolves to 192.168.0.10, a private address" in refused["error_message"]
    )


async def test_webhook_config_is_checked_when_saved(ctx: ToolContext) -> None:
    bad = {
        "http://169.254.169.254/latest/meta-data": "config.url: .*link-local",
        "gopher://hooks.example.com/": "config.url: .*only http and https",
    }
    for url, why in bad.items():
        with pytest.raises(Invalid, match=why):
            await manage.create_helper(ctx, name="w", helper_type="webhook_call", config={"url": url})
    with pytest.raises(Invalid, match="header 'Host' is not allowed"):
        await manage.create_helper(
            ctx,
            name="w",
            helper_type="webhook_call",
            config={"url": "https://hooks.example.com/", "headers": {"Host": "x"}},
        )
    with pytest.raises(Invalid, match=r"config\.timeout_seconds"):
        await manage.create_helper(
            ctx,
            name="w",
            helper_type="webhook_call",
            config={"url": "https://hooks.example.com/", "timeout_seconds": 60},
        )


async def test_header_values_are_write_only(ctx: ToolContext) -> None:
    cfg = {"url": "https://hooks.example.com/", "headers": {"Authorization": "Bearer s3cret", "X-A": "1"}}
    created = await manage.create_helper(ctx, name="w", helper_type="webhook_call", config=cfg)
    assert created["config"]["headers"] == {"Authorization": "***", "X-A": "***"}
    shown = await REG_TOOLS.call("get_helper_config", {"helper_id": created["helper_id"]}, ctx)
    assert "s3cret" not in json.dumps(shown)
    echoed = shown["config"] | {"headers": {"Authorization": "***", "X-A": "2"}, "timeout_seconds": 2}
    await manage.update_helper(ctx, created["helper_id"], {"config": echoed})
    async with ctx.db.session() as s:
        stored = (await s.get(Helper, created["helper_id"])).config  # type: ignore[union-attr]
    assert stored["headers"] == {"Authorization": "Bearer s3cret", "X-A": "2"}
    assert stored["timeout_seconds"] == 2
