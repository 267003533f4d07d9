"""Fixtures for API tests that need a real model provider: the loopback server replaying recorded
provider traffic, and a frontdesk server configured to use it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.agent.test_providers import ANTHROPIC, provider_overrides
from tests.agent.wire import ProviderServer, running
from tests.conftest import _settings, serve


@pytest.fixture(scope="module")
def wire() -> Iterator[ProviderServer]:
    server = ProviderServer()
    with running(server) as url:
        server.url = url
        yield server


@contextmanager
def anthropic_backed_server(wire: ProviderServer, data_dir: Path) -> Iterator[str]:
    """A real frontdesk server whose model is `anthropic/…`, answered by the replay server. It
    needs its own SQLite database, so it skips on the shared PostgreSQL pass."""
    base = _settings(data_dir)
    if not base.resolved_database_url.startswith("sqlite"):
        pytest.skip("needs its own database; runs on the SQLite pass")
    with serve(provider_overrides(base, wire.url, model=ANTHROPIC.model)) as url:
        yield url
