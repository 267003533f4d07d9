"""A title for a new conversation, from its first message.

Every new conversation first gets the message itself, cut to a word boundary (`title_from`).
With a real model configured, the turn also asks it for a short title and keeps that instead;
on any failure the cut message stays.
"""

from __future__ import annotations

import logging

from frontdesk.agent.errors import ModelError
from frontdesk.agent.model import ChatMessage, ChatModel, TextChunk, UsageChunk

log = logging.getLogger(__name__)
TITLE_LIMIT = 60
TITLE_PROMPT = (
    "Write a title of at most six words for a conversation that starts with the user's message. "
    "Reply with the title only: no quotes, no punctuation at the end."
)


def title_from(text: str, limit: int = TITLE_LIMIT) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1].rsplit(" ", 1)[0] + "…"


def clean_title(text: str) -> str:
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = line.strip().strip("\"'`*#").removeprefix("Title:").strip().rstrip(".!")
    return title_from(line)


async def generate_title(model: ChatModel, first_message: str) -> tuple[str | None, dict[str, int]]:
    """(title, usage) from `model`; (None, usage) when it failed or wrote nothing usable."""
    parts: list[str] = []
    usage = {"input_tokens": 0, "output_tokens": 0}
    messages = [ChatMessage("system", TITLE_PROMPT), ChatMessage("user", first_message[:2_000])]
    try:
        async for chunk in model.stream(messages, []):
            if isinstance(chunk, TextChunk):
                parts.append(chunk.text)
            elif isinstance(chunk, UsageChunk):
                usage = {"input_tokens": chunk.input_tokens, "output_tokens": chunk.output_tokens}
    except ModelError as e:
        log.warning("title generation failed: %s", e.detail)
        return None, usage
    except Exception:  # a title is a nicety: whatever broke, the turn's answer must still be stored
        log.exception("title generation failed")
        return None, usage
    title = clean_title("".join(parts))
    return (title or None), usage
