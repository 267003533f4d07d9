"""Resolve a model name from settings or a department file to a `ChatModel`."""

from __future__ import annotations

from frontdesk.agent.model import ChatModel
from frontdesk.agent.offline.model import OfflineModel
from frontdesk.errors import Invalid

SUPPORTED = ("offline",)


def resolve_model(name: str) -> ChatModel:
    """`offline` is built in. Provider adapters (anthropic/, groq/, litellm) register here as they land."""
    if name == "offline":
        return OfflineModel()
    raise Invalid(f"Unsupported model '{name}'. Supported models: {', '.join(SUPPORTED)}")
