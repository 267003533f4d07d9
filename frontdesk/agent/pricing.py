"""What a model's tokens cost, in USD, from a per-model price table (per 1M input / output tokens).

`PRICES` holds the providers' published list prices of a few common models (no volume discounts,
batch or prompt-cache rates); `FRONTDESK_MODEL_PRICES` adds models or overrides these. The
offline model costs 0. A model in neither table is *unpriced*: its cost is None (null in the
API), never a guessed 0. Names are matched as written in settings (`anthropic/<model>`,
`groq/<model>`, a LiteLLM string; a `litellm/` prefix is ignored).
"""

from __future__ import annotations

from frontdesk.config import Settings

PER = 1_000_000
PRICES: dict[str, tuple[float, float]] = {
    "offline": (0.0, 0.0),
    "anthropic/claude-3-haiku-20240307": (0.25, 1.25),
    "anthropic/claude-3-5-haiku-20241022": (0.80, 4.00),
    "anthropic/claude-3-5-haiku-latest": (0.80, 4.00),
    "anthropic/claude-3-5-sonnet-20241022": (3.00, 15.00),
    "anthropic/claude-3-7-sonnet-20250219": (3.00, 15.00),
    "anthropic/claude-sonnet-4-20250514": (3.00, 15.00),
    "anthropic/claude-opus-4-20250514": (15.00, 75.00),
    "groq/llama-3.1-8b-instant": (0.05, 0.08),
    "groq/llama-3.3-70b-versatile": (0.59, 0.79),
    "openai/gpt-4o-mini": (0.15, 0.60),
    "openai/gpt-4o": (2.50, 10.00),
}


def price_of(model: str, settings: Settings) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens for `model`, or None when it is unpriced."""
    name = model.strip().removeprefix("litellm/")
    found = settings.model_prices.get(name) or PRICES.get(name)
    return (float(found[0]), float(found[1])) if found is not None else None


def cost(model: str, input_tokens: int, output_tokens: int, settings: Settings) -> float | None:
    """USD for these tokens on `model` (rounded to 1e-8), or None when the model is unpriced."""
    price = price_of(model, settings)
    if price is None:
        return None
    return round((input_tokens * price[0] + output_tokens * price[1]) / PER, 8)
