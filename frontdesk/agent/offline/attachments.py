"""Offline answers about attached text (an image's OCR text, a document, a web page).

A user message that carries context blocks (`tools.media.context`) is answered from them, not by
a tool: the passages of each block most relevant to the question, ranked by BM25
(`tools.media.passages`), are quoted — a few lines, never the whole text. When no passage shares a
word with the question (or there is no question), the first passages are quoted as the start.
"""

from __future__ import annotations

from frontdesk.tools.media.context import Context, split_context
from frontdesk.tools.media.passages import best_passages, split_passages

QUOTED = 3  # passages quoted per attachment


def _quote(passages: list[str]) -> str:
    return "\n".join(f"> {p}" for p in passages)


def _about(question: str, ctx: Context) -> str:
    if not ctx.text.strip():
        return f"{ctx.name} ({ctx.what}) holds no text I can read."
    found = best_passages(question, ctx.text, QUOTED) if question else []
    if found:
        return (
            f"From {ctx.name} ({ctx.what}), the passages most relevant to your question:\n\n{_quote(found)}"
        )
    start = split_passages(ctx.text)[:QUOTED]
    lead = "I found nothing about that in" if question else "Here is how"
    verb = "; it begins:" if question else " begins:"
    return f"{lead} {ctx.name} ({ctx.what}){verb}\n\n{_quote(start)}"


def answer_from_context(message: str) -> str | None:
    """The offline answer to a message with context blocks, or None for a plain message."""
    question, contexts = split_context(message)
    if not contexts:
        return None
    return "\n\n".join(_about(question, ctx) for ctx in contexts)
