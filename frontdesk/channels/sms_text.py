"""SMS text: carrier keywords, answers flattened to plain text, and long answers split into
numbered messages of at most 1,600 characters (Twilio's limit), at paragraph, line, sentence or
word boundaries, never inside a word."""

from __future__ import annotations

import re
from typing import Literal

SMS_MAX_CHARS = 1600
MAX_PARTS = 10  # a longer answer is cut at a boundary and says where the rest is

Keyword = Literal["stop", "start", "help"]
_KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"), "stop"),
    **dict.fromkeys(("START", "YES", "UNSTOP", "OPTIN"), "start"),
    **dict.fromkeys(("HELP", "INFO"), "help"),
}
TRUNCATED_NOTE = "…(the full answer is in your frontdesk history)"


def keyword(body: str) -> Keyword | None:
    """The carrier keyword a text is, if its whole body is one (case and punctuation ignored)."""
    word = re.sub(r"[^A-Za-z]", "", body).upper()
    return _KEYWORDS.get(word) if len(body.strip()) <= 20 else None


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")


def plain_text(markdown: str) -> str:
    """An answer written in light Markdown, as a text message: no emphasis marks, headings as
    lines, table rows as `a · b · c`."""
    lines = []
    for line in markdown.splitlines():
        if _TABLE_RULE.match(line):
            continue
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            line = " · ".join(cell.strip() for cell in stripped.strip("|").split("|"))
        line = re.sub(r"^#{1,6}\s+", "", line)
        line = re.sub(r"(\*\*|__|`)", "", line)
        lines.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _cut(text: str, limit: int) -> tuple[str, str]:
    """Split `text` into a head of at most `limit` characters and the rest, at the best boundary."""
    if len(text) <= limit:
        return text, ""
    window = text[: limit + 1]
    for pattern in (r"\n\s*\n", r"\n", r"[.!?…](?=\s)", r"\s"):
        cuts = [m.end() for m in re.finditer(pattern, window) if m.end() <= limit]
        cuts = [c for c in cuts if c >= limit // 3] or cuts
        if cuts:
            cut = cuts[-1]
            return text[:cut].rstrip(), text[cut:].lstrip()
    return text[:limit], text[limit:]  # one "word" longer than a message (a URL): no better place


def split_sms(text: str, limit: int = SMS_MAX_CHARS, max_parts: int = MAX_PARTS) -> list[str]:
    """`text` as messages of at most `limit` characters. One message goes as it is; more are
    numbered `(1/3) …`. Past `max_parts`, the last part ends with a note instead of the rest."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    digits = 1
    while True:
        room = limit - len(f"({'9' * digits}/{'9' * digits}) ")
        parts, rest = [], text
        while rest and len(parts) < max_parts:
            budget = room if len(parts) < max_parts - 1 else room - len(TRUNCATED_NOTE) - 1
            head, rest = _cut(rest, budget if rest[budget:] else room)
            parts.append(head)
        if rest:
            parts[-1] = f"{parts[-1]} {TRUNCATED_NOTE}"
        if len(str(len(parts))) <= digits:
            return [f"({i}/{len(parts)}) {part}" for i, part in enumerate(parts, start=1)]
        digits += 1
