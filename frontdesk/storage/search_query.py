"""The message-search query language, parsed into a tree and rendered for each database.

    help support            both words (AND is implied between terms)
    help AND support        the same
    help OR support         either word
    help NOT refund         help, but not refund (also: help -refund)
    "reset my password"     the words as a phrase, in this order
    pass*                   words starting with "pass"
    (help OR support) NOT spam

Operators are the upper-case words AND, OR, NOT; precedence NOT > AND > OR; parentheses group.
A term is reduced to its letters and digits (lower case): `e-mail` is the phrase "e mail", and a
word with no letters or digits (`&`) is skipped. A negation needs a positive term beside it in the
same AND group (`a NOT b`; `NOT b` alone and `a OR NOT b` are refused): neither FTS5 nor an index
can answer "everything except".

User text never reaches the database raw: `to_fts5` and `to_tsquery` render the parsed tree with
every term quoted, so FTS5 and PostgreSQL see only operators this module wrote. Malformed input
raises `Invalid` (HTTP 400) with a detail saying what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from frontdesk.errors import Invalid

MAX_QUERY_CHARS = 500
MAX_TERMS = 32

_LEX = re.compile(r'\s*(?:(?P<paren>[()])|"(?P<phrase>[^"]*)(?P<close>"?)(?P<star>\*?)|(?P<word>[^\s()"]+))')
_WORD = re.compile(r"[^\W_]+")
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass(frozen=True, slots=True)
class Term:
    words: tuple[str, ...]  # one word, or a phrase
    prefix: bool = False  # the last word is a prefix


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


def _term(text: str, prefix: bool) -> Term | None:
    words = tuple(w.lower() for w in _WORD.findall(text))
    return Term(words, prefix) if words else None


def _tokens(query: str) -> list[tuple[str, object]]:
    """(kind, value) pairs: ("(" | ")" | "op" | "term", ...). Wordless terms are dropped."""
    out: list[tuple[str, object]] = []
    pos = 0
    query = query.rstrip()
    while pos < len(query):
        m = _LEX.match(query, pos)
        if m is None:  # pragma: no cover - the pattern matches any non-space character
            raise Invalid(f"Cannot read the query at position {pos}")
        pos = m.end()
        if m["paren"]:
            out.append((m["paren"], None))
        elif m["phrase"] is not None:
            if not m["close"]:
                raise Invalid("Unterminated quote in the query")
            if term := _term(m["phrase"], bool(m["star"])):
                out.append(("term", term))
        else:
            word = m["word"]
            if word in _OPERATORS:
                out.append(("op", word))
            elif word.startswith("-") and len(word) > 1:
                if term := _term(word[1:], word.endswith("*")):
                    out += [("op", "NOT"), ("term", term)]
            elif term := _term(word, word.endswith("*")):
                out.append(("term", term))
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, object]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, object] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, object]:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.or_expr()
        if self.peek() is not None:
            kind, value = self.peek()  # type: ignore[misc]
            raise Invalid(
                "Unbalanced ')' in the query" if kind == ")" else f"Unexpected '{value}' in the query"
            )
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.peek() == ("op", "OR"):
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while (tok := self.peek()) is not None and tok[0] != ")" and tok != ("op", "OR"):
            if tok == ("op", "AND"):
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise Invalid("The query ends where a term was expected")
        kind, value = self.take()
        if (kind, value) == ("op", "NOT"):
            child = self.unary()
            return child.child if isinstance(child, Not) else Not(child)
        if kind == "op":
            raise Invalid(f"'{value}' must stand between two terms")
        if kind == ")":
            raise Invalid("Unbalanced ')' in the query")
        if kind == "(":
            node = self.or_expr()
            if self.peek() is None or self.take()[0] != ")":
                raise Invalid("Unbalanced '(' in the query")
            return node
        assert isinstance(value, Term)
        return value


def _check(node: Node) -> int:
    """Refuse negations without a positive sibling; return the number of terms."""
    if isinstance(node, Term):
        return 1
    if isinstance(node, Not):
        raise Invalid("NOT needs a term to subtract from: write 'a NOT b', not 'NOT b' or 'a OR NOT b'")
    if isinstance(node, And):
        if all(isinstance(c, Not) for c in node.children):
            raise Invalid("NOT needs a term to subtract from: write 'a NOT b'")
        return sum(_check(c.child if isinstance(c, Not) else c) for c in node.children)
    return sum(_check(c) for c in node.children)


def parse_query(query: str) -> Node:
    """Parse the search language; raises `Invalid` with a precise detail on malformed input."""
    if len(query) > MAX_QUERY_CHARS:
        raise Invalid(f"The query is longer than {MAX_QUERY_CHARS} characters")
    tokens = _tokens(query)
    if not any(kind == "term" for kind, _ in tokens):
        raise Invalid("The query has no words to search for")
    node = _Parser(tokens).parse()
    if _check(node) > MAX_TERMS:
        raise Invalid(f"The query has more than {MAX_TERMS} terms")
    return node


def _split(node: And) -> tuple[list[Node], list[Node]]:
    positive = [c for c in node.children if not isinstance(c, Not)]
    negative = [c.child for c in node.children if isinstance(c, Not)]
    return positive, negative


def to_fts5(node: Node) -> str:
    """An FTS5 MATCH expression: every term a double-quoted string, operators upper-case."""
    if isinstance(node, Term):
        return '"' + " ".join(node.words) + '"' + ("*" if node.prefix else "")
    if isinstance(node, Or):
        return "(" + " OR ".join(to_fts5(c) for c in node.children) + ")"
    if isinstance(node, And):
        positive, negative = _split(node)
        out = "(" + " AND ".join(to_fts5(c) for c in positive) + ")"
        for neg in negative:  # FTS5's NOT is binary: (a AND b) NOT c NOT d
            out = f"({out} NOT {to_fts5(neg)})"
        return out
    raise AssertionError("a bare NOT is refused by parse_query")


def to_tsquery(node: Node) -> str:
    """A PostgreSQL tsquery (for `to_tsquery('simple', ...)`): terms single-quoted, phrases `<->`."""
    if isinstance(node, Term):
        lexemes = [f"'{w}'" for w in node.words]
        if node.prefix:
            lexemes[-1] += ":*"
        return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"
    if isinstance(node, Or):
        return "(" + " | ".join(to_tsquery(c) for c in node.children) + ")"
    if isinstance(node, And):
        positive, negative = _split(node)
        return (
            "("
            + " & ".join([to_tsquery(c) for c in positive] + [f"!{to_tsquery(n)}" for n in negative])
            + ")"
        )
    raise AssertionError("a bare NOT is refused by parse_query")
