"""Example questions for an empty chat, drawn from the account's own data: its most used tag,
its most common lead source, its connections. Each is phrased the way the agents (offline
planner included) understand, so clicking one gets a real answer."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from frontdesk.storage import crm, crm_connections
from frontdesk.storage.db import Database
from frontdesk.storage.models import Lead
from frontdesk.types import Principal

MAX_SUGGESTIONS = 4


async def suggest_questions(db: Database, principal: Principal) -> list[str]:
    """Up to four questions about this account's data; generic ones fill in where it has none.
    Nothing is read that the principal may not read (`crm.read`)."""
    questions: list[str] = []
    if principal.can("crm.read"):
        async with db.session() as s:
            tags, _ = await crm.list_tags(s, principal.account_id, limit=500)
            sources = await s.execute(
                select(Lead.source, func.count())
                .where(Lead.account_id == principal.account_id, Lead.source.is_not(None))
                .group_by(Lead.source)
            )
            leads = Counter({source: int(n) for source, n in sources.all() if source})
            connections = await crm_connections.list_connections(s, principal.account_id)
        used = sorted((t for t in tags if t[1] > 0), key=lambda t: (-t[1], t[0].name))
        if used:
            questions.append(f"Which contacts are tagged {used[0][0].name}?")
        if leads:
            questions.append("How is the pipeline looking?")
            questions.append(f"How many leads came from {leads.most_common(1)[0][0]} this month?")
        if len(used) > 1:
            questions.append("Give me the total number of contacts per tag")
        if len(connections) > 1:
            questions.append("Which connections do we have?")
    for fallback in ("How many contacts do we have?", "How many contacts did we add last week?"):
        if fallback not in questions:
            questions.append(fallback)
    return questions[:MAX_SUGGESTIONS]
