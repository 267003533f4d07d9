"""Schemathesis over every operation of the OpenAPI document, against the real server.

Each operation gets generated requests (valid and invalid: the examples, coverage and fuzzing
phases, at most `MAX_EXAMPLES` fuzzed ones), sent with the demo owner's token, and every answer is
checked: no 5xx, a documented status code, the documented content type, and a body that matches
the documented schema (errors included: `{detail, code}`, 422 with `errors`).

Every operation is covered; none is excluded. `POST /auth/logout` revokes the access token it
carries, so each of its requests logs in afresh instead of spending the shared token.

The server has a data directory of its own (the fuzzer changes and deletes demo data), no rate
limits, and the SMS and Teams doors and Stripe billing configured with fake credentials (so they
check signatures instead of answering 503). On the PostgreSQL pass it skips: it would fuzz the
shared database.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from frontdesk.api.app import create_app
from frontdesk.config import Settings
from frontdesk.storage.demo import DEMO_EMAIL
from tests.conftest import _settings, serve

# CI runs a fixed, bounded set; raise the count or set FRONTDESK_SCHEMATHESIS_RANDOM=1 to explore.
MAX_EXAMPLES = int(os.environ.get("FRONTDESK_SCHEMATHESIS_EXAMPLES", "5"))
DETERMINISTIC = os.environ.get("FRONTDESK_SCHEMATHESIS_RANDOM", "") != "1"
LOOPBACK = "http://127.0.0.1:9"  # the discard port: nothing listens
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": DETERMINISTIC, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "request-timeout": 60,
    }
)
# The document comes from the app itself (building the app reads no data directory).
DOCUMENT = create_app(_settings(Path(tempfile.gettempdir()) / "frontdesk-openapi-unused")).openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=CONFIG)


def _login(base_url: str) -> dict[str, str]:
    r = httpx.post(f"{base_url}/auth/login", json={"email": DEMO_EMAIL, "password": "frontdesk-demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = _settings(
        tmp_path_factory.mktemp("schemathesis"),
        login_failures_per_email=0,  # fuzzed logins must not lock anyone out
        # the doors are configured (so they check signatures rather than answer 503); nothing
        # they could call leaves this machine
        twilio_auth_token="fuzz-twilio-token",
        twilio_account_sid="ACfuzz",
        twilio_from_number="+15550000000",
        twilio_api_base=LOOPBACK,
        teams_app_id="fuzz-teams-app",
        teams_app_password="fuzz-teams-secret",
        teams_openid_url=f"{LOOPBACK}/openid",
        teams_token_url=f"{LOOPBACK}/token",
        # billing is configured too (no prices, so nothing reaches Stripe's stand-in)
        stripe_secret_key="sk_test_fuzz",
        stripe_webhook_secret="whsec_fuzz",
        stripe_api_base=LOOPBACK,
    )
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("fuzzes its own database; runs on the SQLite pass")
    return settings


@pytest.fixture(scope="module")
def fuzz_server(fuzz_settings: Settings) -> Iterator[tuple[str, dict[str, str]]]:
    with serve(fuzz_settings) as url:
        yield url, _login(url)


@schema.parametrize()
def test_operation(case: schemathesis.Case, fuzz_server: tuple[str, dict[str, str]]) -> None:
    base_url, headers = fuzz_server
    if case.operation.path == "/auth/logout":  # revoking the shared token would end the run's auth
        headers = _login(base_url)
    case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)
