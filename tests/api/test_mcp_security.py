"""`/mcp`'s door on a real uvicorn server: DNS-rebinding protection (Host allow-list, Origin),
RFC 9728 protected-resource metadata, and the 401 challenge that links to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import serve
from tests.mcp_support import demo_key, module_settings

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
EXTRA_HOST = "mcp.example.org"


@dataclass(frozen=True)
class Server:
    url: str
    key: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def post(self, headers: dict[str, str], *, key: bool = True) -> httpx.Response:
        auth = {"Authorization": f"Bearer {self.key}"} if key else {}
        return httpx.post(
            f"{self.url}/mcp", json=INITIALIZE, headers=MCP_HEADERS | auth | headers, timeout=30
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = module_settings(tmp_path_factory, "mcp_security", allowed_hosts=EXTRA_HOST)

    with serve(settings) as url:
        yield Server(url, demo_key(settings))


def test_a_rebound_host_is_refused_with_or_without_a_credential(server: Server) -> None:
    """The conformance suite's attack: `Host: evil.example.com` with a matching Origin."""
    rebound = {"Host": "evil.example.com", "Origin": "http://evil.example.com"}
    for key in (True, False):
        r = server.post(rebound, key=key)
        assert r.status_code == 421, (key, r.status_code, r.text)
        assert r.json() == {"detail": "Host not allowed", "code": "forbidden_host"}
    assert server.post({"Host": f"evil.example.com:{server.port}"}).status_code == 421
    metadata = httpx.get(f"{server.url}/.well-known/oauth-protected-resource", headers=rebound)
    assert metadata.status_code == 421


def test_loopback_and_configured_hosts_are_accepted(server: Server) -> None:
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "localhost", EXTRA_HOST):
        r = server.post({"Host": host, "Origin": f"http://{host}"})
        assert r.status_code == 200, (host, r.text)
        assert '"serverInfo":{"name":"frontdesk"' in r.text  # one SSE event with the result


def test_an_origin_other_than_the_hosts_own_is_refused(server: Server) -> None:
    host = f"localhost:{server.port}"
    for origin in (
        "http://evil.example.com",
        f"http://127.0.0.1:{server.port}",
        "http://localhost:1",
        "null",
    ):
        r = server.post({"Host": host, "Origin": origin})
        assert r.status_code == 403 and r.json()["code"] == "forbidden_origin", origin
    assert server.post({"Host": host, "Origin": f"https://{host}"}).status_code == 200


def test_the_protected_resource_metadata_names_frontdesk_as_its_authorization_server(server: Server) -> None:
    for path in ("/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"):
        r = httpx.get(server.url + path)
        assert r.status_code == 200, path
        assert r.json() == {
            "resource": f"{server.url}/mcp",
            "authorization_servers": [server.url],
            "bearer_methods_supported": ["header"],
            "resource_name": "frontdesk",
            "resource_documentation": f"{server.url}/docs",
        }
    # The URL a client meets in the 401 is served, and is about this resource.
    challenge = server.post({}, key=False).headers["www-authenticate"]
    url = challenge.split('resource_metadata="', 1)[1].split('"', 1)[0]
    assert url == f"{server.url}/.well-known/oauth-protected-resource/mcp"
    assert httpx.get(url).json()["resource"] == f"{server.url}/mcp"


def test_no_error_code_without_a_token_invalid_token_with_a_bad_one(server: Server) -> None:
    metadata = f'resource_metadata="{server.url}/.well-known/oauth-protected-resource/mcp"'
    for headers in ({}, {"Authorization": "Basic dXNlcjpwdw=="}, {"Authorization": "Bearer"}):
        r = server.post(headers, key=False)
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == f'Bearer realm="frontdesk", {metadata}', headers
    for token in ("fdk_not-a-real-key", "not.a.jwt"):
        r = server.post({"Authorization": f"Bearer {token}"}, key=False)
        challenge = r.headers["www-authenticate"]
        assert r.status_code == 401 and challenge.startswith(f'Bearer realm="frontdesk", {metadata}')
        assert ', error="invalid_token", error_description="' in challenge


def test_frontdesk_serves_no_oauth_authorization_server_metadata(server: Server) -> None:
    """frontdesk issues API keys and its own JWTs; it has no OAuth authorize/token/registration
    endpoints, so it does not pretend to be an RFC 8414 authorization server."""
    assert httpx.get(f"{server.url}/.well-known/oauth-authorization-server").status_code == 404
