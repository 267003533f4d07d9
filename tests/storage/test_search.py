"""Message search in the store: the query language, the FTS5 index kept in sync by its triggers,
and AND / OR / NOT / phrase / prefix semantics on real rows (SQLite FTS5, or PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update

from frontdesk.errors import Invalid
from frontdesk.storage import conversations as convs
from frontdesk.storage.db import Database
from frontdesk.storage.models import Conversation, Message
from frontdesk.storage.search import SearchScope, search_messages
from frontdesk.storage.search_query import And, Not, Or, Term, parse_query, to_fts5, to_tsquery
from frontdesk.types import Principal
from tests.conftest import new_identity

TEXTS = {
    "a": "I need help with my order",
    "b": "Please provide support for this issue",
    "c": "help and support both, thank you",
    "d": "Refund please, the order arrived broken",
    "e": "How do I reset my password?",
    "f": "My password reset link expired",
    "g": "Passwords are hard; help me reset it",
    "h": "Order status: shipped",
}


async def seed(db: Database, principal: Principal) -> dict[str, str]:
    """One conversation holding TEXTS; returns {key: message id}."""
    async with db.session() as s:
        conv = await convs.create_conversation(s, principal, title="search test")
        stored = await convs.add_messages(s, conv, [convs.NewMessage("user", t) for t in TEXTS.values()])
    return {key: m.id for key, m in zip(TEXTS, stored, strict=True)}


async def find(db: Database, account_id: str, q: str, **scope: object) -> list[str]:
    async with db.session() as s:
        hits, total = await search_messages(
            s,
            parse_query(q),
            SearchScope(account_id, **scope),
            limit=100,
            offset=0,  # type: ignore[arg-type]
        )
    assert total == len(hits)
    return [h.message.id for h in hits]


@pytest.fixture
async def owner(db: Database) -> Principal:
    return (await new_identity(db, "Searcher")).principal()


def test_the_language_parses_into_a_tree() -> None:
    assert parse_query("help support") == And((Term(("help",)), Term(("support",))))
    assert parse_query("help OR support") == Or((Term(("help",)), Term(("support",))))
    assert parse_query("a b OR c") == Or((And((Term(("a",)), Term(("b",)))), Term(("c",))))
    assert parse_query("help NOT refund") == And((Term(("help",)), Not(Term(("refund",)))))
    assert parse_query("help -refund") == parse_query("help NOT refund")
    assert parse_query('"Reset my PASSWORD"') == Term(("reset", "my", "password"))
    assert parse_query("pass*") == Term(("pass",), prefix=True)
    assert parse_query("e-mail") == Term(("e", "mail"))
    assert parse_query("(a OR b) c") == And((Or((Term(("a",)), Term(("b",)))), Term(("c",))))
    assert parse_query("and or not") == And(
        (Term(("and",)), Term(("or",)), Term(("not",)))
    )  # lower case: words


def test_rendering_quotes_every_term() -> None:
    tree = parse_query('(help OR "reset password") NOT spam* x')
    assert to_fts5(tree) == '((("help" OR "reset password") AND "x") NOT "spam"*)'
    assert to_tsquery(tree) == "(('help' | ('reset' <-> 'password')) & 'x' & !'spam':*)"
    # FTS5 syntax in user text is only ever text: column filters, NEAR, ^ and quotes are neutralised
    fts = to_fts5(parse_query("content:secret NEAR(a b) ^start"))
    assert fts == '("content secret" AND "near" AND ("a" AND "b") AND "start")'
    assert to_tsquery(parse_query("it's a'|!b")) == "(('it' <-> 's') & ('a' <-> 'b'))"


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("", "no words"),
        ("   ", "no words"),
        ("&& !!", "no words"),
        ('"unterminated', "Unterminated quote"),
        ("(help OR support", "Unbalanced '('"),
        ("help)", "Unbalanced ')'"),
        ("OR help", "'OR' must stand between"),
        ("help AND", "ends where a term"),
        ("help OR", "ends where a term"),
        ("NOT help", "NOT needs a term"),
        ("help OR NOT refund", "NOT needs a term"),
        ("x" * 501, "longer than 500"),
        (" ".join(f"w{i}" for i in range(33)), "more than 32 terms"),
    ],
)
def test_malformed_queries_are_invalid(query: str, detail: str) -> None:
    with pytest.raises(Invalid, match=detail.replace("(", r"\(").replace(")", r"\)")):
        parse_query(query)


async def test_and_or_not_phrase_prefix_semantics(db: Database, owner: Principal) -> None:
    ids = await seed(db, owner)
    acc = owner.account_id

    def keys(found: list[str]) -> set[str]:
        return {k for k, v in ids.items() if v in found}

    assert keys(await find(db, acc, "help")) == {"a", "c", "g"}
    assert keys(await find(db, acc, "help support")) == {"c"}
    assert keys(await find(db, acc, "help AND support")) == {"c"}
    assert keys(await find(db, acc, "help OR support")) == {"a", "b", "c", "g"}
    assert keys(await find(db, acc, "help NOT support")) == {"a", "g"}
    assert keys(await find(db, acc, "order -refund")) == {"a", "h"}
    assert keys(await find(db, acc, '"reset my password"')) == {"e"}
    assert keys(await find(db, acc, '"password reset"')) == {"f"}
    assert keys(await find(db, acc, "reset password")) == {"e", "f"}  # both words, any order
    assert keys(await find(db, acc, "password*")) == {"e", "f", "g"}
    assert keys(await find(db, acc, "(refund OR shipped) order")) == {"d", "h"}
    assert keys(await find(db, acc, "HELP Order")) == {"a"}  # case-insensitive
    assert await find(db, acc, "nonexistentword") == []


async def test_scores_rank_the_better_match_first(db: Database, owner: Principal) -> None:
    async with db.session() as s:
        conv = await convs.create_conversation(s, owner)
        stored = await convs.add_messages(
            s,
            conv,
            [
                convs.NewMessage(
                    "user", "invoice question about the weather and many other unrelated words here"
                ),
                convs.NewMessage("user", "invoice invoice invoice"),
            ],
        )
        hits, _ = await search_messages(
            s, parse_query("invoice"), SearchScope(owner.account_id), limit=10, offset=0
        )
    assert [h.message.id for h in hits] == [stored[1].id, stored[0].id]
    assert hits[0].score > hits[1].score > 0


async def test_index_follows_updates_and_deletes(db: Database, owner: Principal) -> None:
    ids = await seed(db, owner)
    acc = owner.account_id
    async with db.session() as s:
        await s.execute(update(Message).where(Message.id == ids["h"]).values(content="Order status: delayed"))
        await s.execute(delete(Message).where(Message.id == ids["d"]))
        await s.commit()
    assert await find(db, acc, "shipped") == []
    assert await find(db, acc, "delayed") == [ids["h"]]
    assert await find(db, acc, "refund") == []
    async with db.session() as s:  # deleting the conversation cascades to its messages and the index
        conv_id = (await s.get(Message, ids["a"])).conversation_id  # type: ignore[union-attr]
        await s.execute(delete(Conversation).where(Conversation.id == conv_id))
        await s.commit()
    assert await find(db, acc, "help OR password OR order") == []
    if db.is_sqlite:
        async with db.engine.begin() as conn:  # FTS5 raises if the index disagrees with `messages`
            await conn.execute(
                text("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
            )


async def test_scope_account_user_and_filters(db: Database, owner: Principal) -> None:
    ids = await seed(db, owner)
    other = (await new_identity(db, "Elsewhere")).principal()
    other_ids = await seed(db, other)
    acc = owner.account_id
    assert set(await find(db, acc, "order")) == {ids["a"], ids["d"], ids["h"]}
    assert not set(await find(db, acc, "order")) & set(other_ids.values())
    assert await find(db, acc, "order", user_id="user:nobody") == []
    assert len(await find(db, acc, "order", user_id=owner.user_id)) == 3
    assert await find(db, acc, "order", role="assistant") == []
    assert len(await find(db, acc, "order", channel="web")) == 3
