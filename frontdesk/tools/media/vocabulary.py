"""An account's own words, as a prompt that biases Whisper toward them (`initial_prompt`).

Whisper hears what it expects: tiny.en takes an espeak "How many contacts are tagged VIP?" for
"How many contact sucked after the IP?" on its own, and gets it right when its prompt holds the
account's words. The prompt lists the account's tag names (most used first), its most frequent
companies, the names of the contacts it was last in touch with, and the words a caller adds (the
departments' names and keywords), in short sentences, within Whisper's prompt budget (it keeps
the last 223 tokens; we stay well under by characters).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from frontdesk.storage.db import Database
from frontdesk.storage.models import Contact, ContactTag, Tag

MAX_PROMPT_CHARS = 600
CRM_WORDS = ("contacts", "leads", "pipeline", "tagged", "campaign")  # what every account talks about


def _unique(words: Iterable[str], limit: int) -> list[str]:
    seen: dict[str, str] = {}
    for word in words:
        clean = " ".join(str(word).split())
        if clean and clean.lower() not in seen and len(clean) <= 60:
            seen[clean.lower()] = clean
        if len(seen) >= limit:
            break
    return list(seen.values())


def prompt_for(
    tags: Iterable[str], companies: Iterable[str] = (), people: Iterable[str] = (), words: Iterable[str] = ()
) -> str:
    """The prompt text for these words (empty when there are none)."""
    parts = []
    if tag_list := _unique(tags, 25):
        parts.append("Contacts are tagged " + ", ".join(tag_list) + ".")
    if company_list := _unique(companies, 15):
        parts.append("Companies: " + ", ".join(company_list) + ".")
    if people_list := _unique(people, 15):
        parts.append("Contacts: " + ", ".join(people_list) + ".")
    if word_list := _unique(words, 30):
        parts.append("Topics: " + ", ".join(word_list) + ".")
    text = " ".join(parts)
    return text[:MAX_PROMPT_CHARS].rsplit(" ", 1)[0] if len(text) > MAX_PROMPT_CHARS else text


async def account_prompt(db: Database, account_id: str, words: Iterable[str] = ()) -> str:
    """The Whisper prompt of an account's vocabulary plus `words`."""
    async with db.session() as s:
        tags = await s.scalars(
            select(Tag.name)
            .outerjoin(ContactTag, ContactTag.tag_id == Tag.id)
            .where(Tag.account_id == account_id)
            .group_by(Tag.id, Tag.name)
            .order_by(func.count(ContactTag.contact_id).desc(), Tag.name)
            .limit(25)
        )
        companies = await s.scalars(
            select(Contact.company)
            .where(Contact.account_id == account_id, Contact.company.is_not(None), Contact.company != "")
            .group_by(Contact.company)
            .order_by(func.count().desc(), Contact.company)
            .limit(15)
        )
        people = await s.execute(
            select(Contact.first_name, Contact.last_name)
            .where(Contact.account_id == account_id)
            .order_by(Contact.last_contact_date.desc().nulls_last(), Contact.created_at.desc())
            .limit(15)
        )
        names = [f"{first} {last}".strip() for first, last in people]
    return prompt_for(list(tags), list(companies), names, [*words, *CRM_WORDS])
