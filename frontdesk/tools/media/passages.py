"""Ranked retrieval over one text: split it into passages, score each against a question (BM25).

Used where a long text must meet a question: the offline model quotes the passages of an
image's or document's text most relevant to what was asked, and a document too long for a message
keeps its most relevant passages (`fit_text`).

Passages: blocks are separated by blank lines; a block of short lines (OCR lines, CSV rows, a
list) gives one passage per line, a block of long wrapped lines (prose) is joined and cut at
sentence ends into passages of at most `max_chars`.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MIN_SENTENCE_CHARS = 40  # a shorter sentence joins the next one
STOPWORDS = frozenset(
    "a an and are as at be by can could did do does for from had has have how i if in into is it its "
    "me my of on or our please say says said show tell than that the their them then there these this "
    "those to us was we were what when where which who whom why will with would you your about "
    "any there's what's it's".split()
)


def terms(text: str) -> list[str]:
    """Lower-case word stems (a plural's `s` dropped) without stop words."""
    out = []
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        out.append(word)
    return out


def split_passages(text: str, max_chars: int = 400) -> list[str]:
    passages: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [" ".join(line.split()) for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        if sum(len(line) for line in lines) / len(lines) < 60:
            passages.extend(lines)
            continue
        current = ""
        for sentence in _SENTENCE.split(" ".join(lines)):
            current = f"{current} {sentence}".strip()
            if len(current) >= MIN_SENTENCE_CHARS:
                passages.extend(_cut(current, max_chars))
                current = ""
        if current:
            passages.extend(_cut(current, max_chars))
    return passages


def _cut(text: str, max_chars: int) -> list[str]:
    """`text` in pieces of at most `max_chars`, cut between words."""
    pieces: list[str] = []
    while len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        cut = cut if cut > 0 else max_chars
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    return [*pieces, text] if text else pieces


def bm25(query: str, passages: list[str], k1: float = 1.5, b: float = 0.75) -> list[float]:
    """The BM25 score of each passage for `query` (Okapi, with the +1 idf that stays positive)."""
    docs = [Counter(terms(p)) for p in passages]
    if not docs:
        return []
    average = sum(sum(d.values()) for d in docs) / len(docs) or 1.0
    wanted = set(terms(query))
    idf = {
        t: math.log(1 + (len(docs) - n + 0.5) / (n + 0.5)) for t in wanted if (n := sum(t in d for d in docs))
    }
    scores = []
    for d in docs:
        length = sum(d.values())
        score = 0.0
        for t, weight in idf.items():
            f = d.get(t, 0)
            if f:
                score += weight * f * (k1 + 1) / (f + k1 * (1 - b + b * length / average))
        scores.append(score)
    return scores


def best_passages(query: str, text: str, limit: int = 3, relative: float = 0.5) -> list[str]:
    """The passages most relevant to `query`, best first: at most `limit`, each scoring at least
    `relative` times the best score (so a passage sharing one common word with the question does
    not ride along with the one that answers it)."""
    passages = split_passages(text)
    ranked = sorted(
        zip(bm25(query, passages), range(len(passages)), strict=True), key=lambda x: (-x[0], x[1])
    )
    best = ranked[0][0] if ranked else 0.0
    return [passages[i] for score, i in ranked[:limit] if score > 0 and score >= best * relative]


def fit_text(query: str, text: str, budget: int) -> str:
    """`text` if it fits in `budget` characters; else its passages most relevant to `query` (then
    the first ones), kept in document order with `[…]` where text was left out."""
    if len(text) <= budget:
        return text
    passages = split_passages(text)
    scores = bm25(query, passages)
    order = sorted(range(len(passages)), key=lambda i: (-scores[i], i))
    kept: set[int] = set()
    used = 0
    for i in order:
        cost = len(passages[i]) + 6
        if used + cost > budget:
            continue
        kept.add(i)
        used += cost
    out: list[str] = []
    for i in range(len(passages)):
        if i in kept:
            out.append(passages[i])
        elif not out or out[-1] != "[…]":
            out.append("[…]")
    return "\n".join(out)
