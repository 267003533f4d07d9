"""One `Settings` object for the whole server.

Every value can be set by an environment variable with the `FRONTDESK_` prefix or in a `.env`
file in the working directory. This is the only module that reads the environment.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class McpServerConfig(BaseModel):
    """One external MCP server whose tools join the registry: a stdio `command` (with `args` and
    `env`) or a streamable HTTP `url` (with `headers`). Its tools require `permission`."""

    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] | None = None
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    permission: str = "chat"

    @model_validator(mode="after")
    def _one_transport(self) -> McpServerConfig:
        if (self.command is None) == (self.url is None):
            raise ValueError("an MCP server needs exactly one of 'command' or 'url'")
        return self


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

    model: str = Field(
        default="offline",
        description="Model for the agents: offline (no network), anthropic/<model>, groq/<model>, "
        "or any LiteLLM model string (openai/<model>, ollama/<model>, ...).",
    )
    model_fallbacks: str = Field(
        default="", description="Comma-separated models tried in order when the model fails."
    )
    model_timeout_seconds: float = Field(default=60.0, description="Per model request (connect, each read).")
    model_max_retries: int = Field(default=2, ge=0, description="Retries of one model on 429/5xx.")
    model_retry_base_seconds: float = Field(
        default=0.5, ge=0, description="First backoff; doubles per retry."
    )
    model_max_tokens: int = Field(default=1024, ge=1, description="Longest answer a model may write.")
    anthropic_api_key: str | None = None
    anthropic_base_url: str = "https://api.anthropic.com"
    groq_api_key: str | None = None
    groq_base_url: str = "https://api.groq.com"
    litellm_api_key: str | None = Field(default=None, description="API key passed to LiteLLM models.")
    litellm_api_base: str | None = Field(
        default=None, description="OpenAI-compatible base URL (Ollama, vLLM, llama.cpp), e.g. http://host/v1"
    )
    history_token_budget: int = Field(
        default=6_000, ge=100, description="Earlier turns loaded into the model's context (oldest dropped)."
    )
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
    helper_workers: int = Field(
        default=2, ge=0, description="In-process helper execution workers; 0 = run none in this process."
    )
    helper_poll_seconds: float = Field(
        default=1.0, gt=0, description="How often an idle helper worker looks for queued executions."
    )
    helper_timeout_seconds: float = Field(
        default=60.0, gt=0, description="Wall-clock budget of one helper execution."
    )

    mcp_api_key: str | None = Field(
        default=None, description="`frontdesk mcp` (stdio) acts as the user of this API key."
    )
    mcp_allowed_origins: list[str] = Field(
        default_factory=list,
        description="Browser origins allowed on /mcp besides the server's own (a JSON list of origins).",
    )
    mcp_servers: dict[str, McpServerConfig] = Field(
        default_factory=dict,
        description="External MCP servers by name (JSON); their tools join the registry as <name>__<tool>.",
    )
    mcp_connect_timeout_seconds: float = Field(default=20.0, description="Budget to connect one MCP server.")

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


def keep_litellm_offline() -> None:
    """LiteLLM downloads its model price list at import time unless its environment says to use
    the bundled copy; frontdesk never reaches the network on its own, so it says so (set only
    when the operator has not chosen otherwise)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


@lru_cache
def get_settings() -> Settings:
    return Settings()
