"""SSRF-safe outbound HTTP for helpers that call out (`webhook_call`).

A request is refused unless the URL is http(s) without credentials and every address its host
resolves to is public: loopback, private, link-local (cloud metadata at 169.254.169.254 included),
shared, multicast, reserved and unspecified addresses are refused, also inside IPv4-mapped and
6to4 IPv6 addresses. The checked address is the one connected to (the URL is pinned to it, with
the original `Host` header and TLS server name), so a DNS answer cannot change between the check
and the connection. Hosts written as numbers in a non-standard form (`2130706433`, `0x7f000001`,
`127.1`, `0177.0.0.1`) are refused before any lookup. `request` does not follow redirects;
`get_following` does, checking every target again. The response body is read up to a size cap and
the whole exchange runs under one deadline.

`OutboundHttp(trusted_hosts=...)` names hosts an operator trusts (an intranet receiver, or the
loopback fakes of Twilio and the Bot Framework in tests): for those only the scheme and credential
checks apply. The default trusts none.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import socket
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from frontdesk.errors import Invalid, ToolFailure

Resolver = Callable[[str, int], Awaitable[list[str]]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_RESPONSE_BYTES = 64 * 1024
MAX_REQUEST_BYTES = 256 * 1024
MAX_TIMEOUT_SECONDS = 10.0
_BLOCKED_NAMES = ("localhost", "metadata", "metadata.google.internal")


async def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refusal(ip: IPAddress) -> str | None:
    """Why connecting to `ip` is refused, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return refusal(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            return refusal(ip.sixtofour)
        if ip.teredo is not None:
            return "a Teredo tunnel address"
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((why for hit, why in checks if hit), None)


# Hosts that a resolver would read as an IPv4 address in a non-canonical form: a decimal or hex
# integer (`2130706433`, `0x7f000001`), short forms (`127.1`), octal or hex parts (`0177.0.0.1`).
_NUMERIC_HOST = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$")
REDIRECTS = (301, 302, 303, 307, 308)


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str, trusted_hosts: Collection[str] = ()) -> httpx.URL:
    """Parse and check what can be checked without DNS: scheme, credentials, host, IP literals
    (the host and IP checks are skipped for `trusted_hosts`)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as e:
        raise Invalid(f"url: {e}") from e
    if parsed.scheme not in ("http", "https"):
        raise Invalid("url: only http and https URLs are allowed")
    if not parsed.host:
        raise Invalid("url: a host is required")
    if parsed.userinfo:
        raise Invalid("url: credentials in the URL are not allowed; use headers")
    host = parsed.host.lower().rstrip(".")
    if host in trusted_hosts:
        return parsed
    if host in _BLOCKED_NAMES or host.endswith((".localhost", ".internal")):
        raise Invalid(f"url: host {host} is not allowed")
    ip = _literal_ip(host)
    if ip is None and _NUMERIC_HOST.match(host):
        raise Invalid(f"url: {host} is an IP address in a non-standard form; write it as a.b.c.d")
    if ip is not None and (why := refusal(ip)):
        raise Invalid(f"url: {ip} is {why}")
    return parsed


@dataclass(frozen=True, slots=True)
class OutboundResponse:
    status_code: int
    content_type: str
    body: bytes
    truncated: bool
    address: str
    location: str | None = None  # the `Location` header (redirects are not followed here)

    def data(self) -> Any:
        """JSON when the body is complete JSON, else the text."""
        text = self.body.decode("utf-8", errors="replace")
        if "json" in self.content_type and not self.truncated:
            try:
                return json.loads(text)
            except ValueError:
                pass
        return text


class OutboundHttp:
    """The one way helpers reach the network. `resolver` and `transport` are the test seams."""

    def __init__(
        self,
        *,
        resolver: Resolver = system_resolver,
        transport: httpx.AsyncBaseTransport | None = None,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
        trusted_hosts: Collection[str] = (),
    ) -> None:
        self._resolve = resolver
        self._transport = transport
        self.max_response_bytes = max_response_bytes
        self.trusted_hosts = frozenset(h.lower().rstrip(".") for h in trusted_hosts)

    async def public_address(self, url: httpx.URL) -> str:
        host = url.host
        ip = _literal_ip(host)
        if ip is not None:
            return str(ip)
        try:
            addresses = await self._resolve(host, url.port or (443 if url.scheme == "https" else 80))
        except OSError as e:
            raise ToolFailure(f"Could not resolve {host}: {e}") from e
        if not addresses:
            raise ToolFailure(f"Could not resolve {host}")
        if host.lower().rstrip(".") in self.trusted_hosts:
            return addresses[0]
        for address in addresses:
            if why := refusal(ipaddress.ip_address(address)):
                raise Invalid(f"Refused: {host} resolves to {address}, {why}")
        return addresses[0]

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        payload: Any = None,
        form: Mapping[str, Any] | None = None,
        timeout_seconds: float = 5.0,
    ) -> OutboundResponse:
        """Send `payload` as JSON or `form` as application/x-www-form-urlencoded (lists repeat)."""
        timeout = min(max(timeout_seconds, 0.1), MAX_TIMEOUT_SECONDS)
        parsed = check_url(url, self.trusted_hosts)
        if form is not None:
            body, content_type = urlencode(form, doseq=True).encode(), "application/x-www-form-urlencoded"
        else:
            body = json.dumps(payload, default=str).encode() if payload is not None else b""
            content_type = "application/json"
        if len(body) > MAX_REQUEST_BYTES:
            raise Invalid(f"Request body is over {MAX_REQUEST_BYTES} bytes")
        try:
            async with asyncio.timeout(timeout):
                address = await self.public_address(parsed)
                sent = {**(headers or {}), "Content-Type": content_type} if body else headers or {}
                return await self._send(method, parsed, address, sent, body, timeout)
        except TimeoutError as e:
            raise ToolFailure(f"Request to {parsed.host} timed out after {timeout:g}s") from e
        except httpx.HTTPError as e:
            raise ToolFailure(f"Request to {parsed.host} failed: {type(e).__name__}") from e

    async def get_following(
        self, url: str, *, max_redirects: int = 3, timeout_seconds: float = 10.0
    ) -> tuple[str, OutboundResponse]:
        """GET `url`, following up to `max_redirects` redirects; each target passes every check
        again (scheme, credentials, host, resolved addresses) before it is connected to. Returns
        the final URL and its response; one deadline covers the whole chain."""
        timeout = min(max(timeout_seconds, 0.1), MAX_TIMEOUT_SECONDS)
        current = url
        try:
            async with asyncio.timeout(timeout):
                for _ in range(max_redirects + 1):
                    response = await self.request("GET", current, timeout_seconds=timeout)
                    location = response.location
                    if response.status_code not in REDIRECTS or not location:
                        return current, response
                    current = str(httpx.URL(current).join(location))
        except TimeoutError as e:
            raise ToolFailure(f"Fetching {url} timed out after {timeout:g}s") from e
        raise ToolFailure(f"More than {max_redirects} redirects from {url}")

    async def _send(
        self,
        method: str,
        url: httpx.URL,
        address: str,
        headers: dict[str, str],
        body: bytes,
        timeout_seconds: float,
    ) -> OutboundResponse:
        pinned = url.copy_with(host=address)
        sent = {**headers, "Host": url.netloc.decode("ascii"), "User-Agent": "frontdesk-helper/1"}
        extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
        async with httpx.AsyncClient(
            transport=self._transport, trust_env=False, follow_redirects=False, timeout=timeout_seconds
        ) as client:
            async with client.stream(
                method, pinned, headers=sent, content=body or None, extensions=extensions
            ) as response:
                chunks: list[bytes] = []
                size, truncated = 0, False
                async for chunk in response.aiter_bytes():
                    room = self.max_response_bytes - size
                    if len(chunk) > room:
                        chunks.append(chunk[:room])
                        truncated = True
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                return OutboundResponse(
                    status_code=response.status_code,
                    content_type=response.headers.get("content-type", ""),
                    body=b"".join(chunks),
                    truncated=truncated,
                    address=address,
                    location=response.headers.get("location"),
                )
