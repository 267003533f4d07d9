"""One `Settings` object for the whole server.

Every value can be set by an environment variable with the `FRONTDESK_` prefix or in a `.env`
file in the working directory. This is the only module that reads the environment.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("./data"), description="Where the SQLite file and the lake live.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL. Unset: sqlite+aiosqlite:///<data_dir>/frontdesk.db. "
        "PostgreSQL: postgresql+asyncpg://user:pass@host/db",
    )
    secret_key: str | None = Field(
        default=None,
        description="Signs JWTs. Unset: a random key is generated once and kept in <data_dir>/secret.key.",
    )
    access_token_minutes: int = 60
    refresh_token_days: int = 30

    model: str = Field(default="offline", description="Model for the agents: offline (no network).")
    demo_data: bool = Field(default=True, description="Seed the demo account into an empty database.")
    demo_seed: int = 42
    demo_contacts: int = 300

    host: str = "127.0.0.1"
    port: int = 8000

    max_message_chars: int = Field(default=8_000, description="Longest user message accepted.")
    max_tool_iterations: int = Field(default=6, description="Tool round trips allowed in one turn.")
    turn_timeout_seconds: float = Field(default=120.0, description="Wall-clock budget of one turn.")
    sse_ping_seconds: float = Field(default=15.0, description="Keep-alive ping interval on SSE streams.")
    auth_rate_limit_per_minute: int = Field(default=10, description="Login/register/refresh per IP; 0 = off.")
    chat_rate_limit_per_minute: int = Field(default=30, description="Chat turns per user; 0 = off.")

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'frontdesk.db').resolve()}"

    def resolved_secret_key(self) -> str:
        """The JWT signing key: configured, or generated once and stored under the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
