"""Resolve a model name (from settings or a department file) to a `ChatModel`.

| name | adapter |
|---|---|
| `offline` | `offline.OfflineModel` (built in, no network) |
| `anthropic/<model>` | `providers.anthropic.AnthropicModel` (extra `anthropic`) |
| `groq/<model>` | `providers.groq.GroqModel` (extra `groq`) |
| any other `provider/model` | `providers.litellm.LiteLLMModel` (extra `litellm`); `litellm/…` forces it |

A real model is wrapped in `resilient.ResilientModel` with the fallbacks of
`FRONTDESK_MODEL_FALLBACKS`: retries with backoff on 429/5xx, then the next model. Every adapter
is wrapped in `observed.ObservedModel` (metrics and trace span by provider).
"""

from __future__ import annotations

import importlib.util

from frontdesk.agent.model import ChatModel
from frontdesk.agent.offline.model import OfflineModel
from frontdesk.agent.providers.observed import ObservedModel, provider_of
from frontdesk.agent.providers.resilient import ResilientModel
from frontdesk.config import Settings, get_settings
from frontdesk.errors import Invalid

SUPPORTED = ("offline", "anthropic/<model>", "groq/<model>", "<litellm provider>/<model>")


def _require_sdk(module: str, extra: str) -> None:
    """Fail clearly when an optional SDK is missing (looked up, not imported: importing LiteLLM
    before its adapter configures it would make it fetch a price list from the network)."""
    if importlib.util.find_spec(module) is None:
        raise Invalid(f"This model needs the '{extra}' extra: pip install 'frontdesk[{extra}]'")


def _require_key(value: str | None, variable: str, name: str) -> str:
    if not value:
        raise Invalid(f"Model '{name}' needs an API key: set FRONTDESK_{variable}")
    return value


def build_model(name: str, settings: Settings) -> ChatModel:
    """One adapter for `name`, without retries or fallbacks."""
    name = name.strip()
    if name == "offline":
        return OfflineModel()
    provider, _, model = name.partition("/")
    if not model:
        raise Invalid(f"Unsupported model '{name}'. Supported models: {', '.join(SUPPORTED)}")
    common = {"timeout": settings.model_timeout_seconds, "max_tokens": settings.model_max_tokens}
    if provider == "anthropic":
        _require_sdk("anthropic", "anthropic")
        from frontdesk.agent.providers.anthropic import AnthropicModel

        key = _require_key(settings.anthropic_api_key, "ANTHROPIC_API_KEY", name)
        return AnthropicModel(model, api_key=key, base_url=settings.anthropic_base_url, **common)  # type: ignore[arg-type]
    if provider == "groq":
        _require_sdk("groq", "groq")
        from frontdesk.agent.providers.groq import GroqModel

        key = _require_key(settings.groq_api_key, "GROQ_API_KEY", name)
        return GroqModel(model, api_key=key, base_url=settings.groq_base_url, **common)  # type: ignore[arg-type]
    _require_sdk("litellm", "litellm")
    from frontdesk.agent.providers.litellm import LiteLLMModel

    return LiteLLMModel(
        name,
        api_key=settings.litellm_api_key,
        api_base=settings.litellm_api_base,
        **common,  # type: ignore[arg-type]
    )


def model_chain(name: str, settings: Settings) -> list[str]:
    """`name` followed by the configured fallbacks, without repeats."""
    names = [name.strip()]
    for fallback in settings.model_fallbacks.split(","):
        if fallback.strip() and fallback.strip() not in names:
            names.append(fallback.strip())
    return names


def resolve_model(name: str, settings: Settings | None = None) -> ChatModel:
    """The `ChatModel` for `name`: offline as is, a real model with retries and fallbacks."""
    settings = settings or get_settings()
    names = model_chain(name, settings)
    if names == ["offline"]:
        return ObservedModel(OfflineModel(), "offline")
    return _chain(names, settings)


def resolve_real_model(name: str, settings: Settings) -> ChatModel | None:
    """The real models of `name`'s chain (offline left out), for side questions — routing, titles —
    whose fallback is the offline code path rather than the offline model; None if there are none."""
    names = [n for n in model_chain(name, settings) if n != "offline"]
    return _chain(names, settings) if names else None


def _chain(names: list[str], settings: Settings) -> ChatModel:
    return ResilientModel(
        [ObservedModel(build_model(n, settings), provider_of(n)) for n in names],
        max_retries=settings.model_max_retries,
        backoff_base=settings.model_retry_base_seconds,
    )
