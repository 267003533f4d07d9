"""`compose.yaml` holds what README's "Scaled setup" promises: PostgreSQL and Redis with health
checks, two replicas that wait for both and share the database, Redis, secret key and the lake
volume, a worker that runs the jobs the replicas only queue, and a proxy over both replicas. Every
`FRONTDESK_*` variable it sets is a real setting and parses. The file is read, not run: containers
are not started here (no container runtime in the test environment)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from frontdesk.config import Settings

ROOT = Path(__file__).resolve().parents[2]
REPLICAS = ("frontdesk-a", "frontdesk-b")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def env(service: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in (service.get("environment") or {}).items()}


def test_the_services_readme_names_are_there(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *REPLICAS, "worker", "proxy"}
    assert services["postgres"]["image"].startswith("postgres:") and "healthcheck" in services["postgres"]
    assert services["redis"]["image"].startswith("redis:") and "healthcheck" in services["redis"]
    assert (ROOT / "Dockerfile").is_file()  # `build: .`


def test_replicas_and_worker_share_one_store_redis_key_and_lake(compose: dict[str, Any]) -> None:
    services = compose["services"]
    apps = [services[name] for name in (*REPLICAS, "worker")]
    envs = [env(s) for s in apps]
    for key in (
        "FRONTDESK_DATABASE_URL",
        "FRONTDESK_REDIS_URL",
        "FRONTDESK_SECRET_KEY",
        "FRONTDESK_DATA_DIR",
    ):
        assert len({e[key] for e in envs}) == 1, key  # the same on every process
    first = envs[0]
    assert first["FRONTDESK_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert "@postgres:5432/" in first["FRONTDESK_DATABASE_URL"]
    assert first["FRONTDESK_REDIS_URL"].startswith("redis://redis:6379")
    for service in apps:
        volume = next(v for v in service["volumes"] if v.endswith(":" + first["FRONTDESK_DATA_DIR"]))
        assert volume.split(":")[0] in compose["volumes"]  # a named volume, shared
        depends = service["depends_on"]
        assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy"


def test_replicas_only_queue_jobs_and_the_worker_runs_them(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in REPLICAS:
        assert env(services[name])["FRONTDESK_JOB_WORKERS"] == "0"
        assert "8000" in " ".join(services[name]["healthcheck"]["test"])  # the Dockerfile's port
    worker = services["worker"]
    assert worker["command"] == ["frontdesk", "worker"] and int(env(worker)["FRONTDESK_JOB_WORKERS"]) > 0


def test_the_proxy_round_robins_over_both_replicas(compose: dict[str, Any]) -> None:
    proxy = compose["services"]["proxy"]
    command = " ".join(proxy["command"])
    for name in REPLICAS:
        assert f"--to {name}:8000" in command and name in proxy["depends_on"]
    assert "8080:8080" in proxy["ports"]


def test_every_frontdesk_variable_is_a_setting_that_parses(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    known = {f"FRONTDESK_{name.upper()}" for name in Settings.model_fields}
    for name in (*REPLICAS, "worker"):
        variables = env(compose["services"][name])
        assert set(variables) <= known, set(variables) - known
        for key, value in variables.items():
            monkeypatch.setenv(key, value)
        settings = Settings(_env_file=None)  # type: ignore[call-arg]
        assert settings.redis_url == variables["FRONTDESK_REDIS_URL"]
        assert str(settings.database_url) == variables["FRONTDESK_DATABASE_URL"]
