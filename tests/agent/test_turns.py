"""`TurnRunner` against a real database: serialized turns, the busy limit, explicit cancel, a
reader that leaves early, replay of a finished turn from its stored events, and orphaned turns."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from frontdesk.agent.events import Done, Failed
from frontdesk.agent.turn import Agent
from frontdesk.agent.turns import TurnRunner
from frontdesk.config import Settings
from frontdesk.errors import Conflict
from frontdesk.storage import conversations as store
from frontdesk.storage.db import Database
from frontdesk.storage.turn_models import Turn
from frontdesk.tools.registry import default_registry
from frontdesk.types import InboundMessage
from tests.agent.test_turn import ScriptedModel
from tests.conftest import new_identity


def slow_agent(db: Database, settings: Settings, delay: float) -> tuple[Agent, ScriptedModel]:
    model = ScriptedModel(["the answer"], delay=delay)
    return Agent(db, settings, default_registry(), model_factory=lambda _name: model), model


async def wait_for_users(agent: Agent, conversation_id: str, users: int) -> None:
    """Poll the conversation's gate until `users` turns run or wait there (10 s at most)."""
    for _ in range(1000):
        gate = agent.turns._gates.get(conversation_id)
        if gate is not None and gate.users >= users:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{users} turns never met at the gate")


async def test_turns_in_one_conversation_run_one_after_another(db: Database, settings: Settings) -> None:
    agent, model = slow_agent(db, settings, 0.2)
    principal = (await new_identity(db)).principal()
    first = await agent.turns.submit(InboundMessage(principal, "first"))
    handles = await asyncio.gather(
        *(
            agent.turns.submit(InboundMessage(principal, f"q{i}", conversation_id=first.conversation_id))
            for i in range(3)
        )
    )
    outcomes = [await agent.turns.result(h.turn_id) for h in (first, *handles)]
    assert all(isinstance(o, Done) for o in outcomes)
    async with db.session() as s:
        rows, _ = await store.list_messages(s, first.conversation_id, limit=20, offset=0)
    assert [r.role for r in rows] == ["user", "assistant"] * 4
    # each model call saw history ending with its own question, right after the previous answer
    asked = [m[-1].content for m in model.seen]
    assert asked[0] == "first" and sorted(asked[1:]) == ["q0", "q1", "q2"]
    assert [r.content for r in rows if r.role == "user"] == asked
    assert all(m[-2].role == "assistant" for m in model.seen[1:])


async def test_too_many_waiting_turns_are_refused(db: Database, settings: Settings) -> None:
    settings = settings.model_copy(update={"turn_queue_per_conversation": 1})
    agent, _ = slow_agent(db, settings, 0.5)
    principal = (await new_identity(db)).principal()
    first = await agent.turns.submit(InboundMessage(principal, "first"))
    waiting = asyncio.create_task(
        agent.turns.submit(InboundMessage(principal, "second", conversation_id=first.conversation_id))
    )
    await wait_for_users(agent, first.conversation_id, 2)  # the second turn waits at the gate
    with pytest.raises(Conflict) as refused:
        await agent.turns.submit(InboundMessage(principal, "third", conversation_id=first.conversation_id))
    assert refused.value.code == "conversation_busy"
    second = await waiting
    assert isinstance(await agent.turns.result(second.turn_id), Done)
    async with db.session() as s:
        rows, _ = await store.list_messages(s, first.conversation_id, limit=20, offset=0)
    assert [r.content for r in rows if r.role == "user"] == ["first", "second"]


async def test_a_reader_leaving_does_not_stop_the_turn_but_cancel_does(
    db: Database, settings: Settings
) -> None:
    agent, _ = slow_agent(db, settings, 0.3)
    principal = (await new_identity(db)).principal()
    stream = agent.run_turn(InboundMessage(principal, "keep going"))
    first_event = await anext(stream)
    await stream.aclose()  # the reader leaves after one event
    assert first_event.type == "agent"
    turn_id = next(iter(agent.turns._live))
    outcome = await agent.turns.result(turn_id, timeout=10)
    assert isinstance(outcome, Done) and outcome.content == "the answer"

    slow = await agent.turns.submit(
        InboundMessage(principal, "never mind", conversation_id=outcome.conversation_id)
    )
    await asyncio.sleep(0.05)
    assert await agent.turns.cancel(principal, slow.turn_id) == "cancelled"
    cancelled = await agent.turns.result(slow.turn_id)
    assert isinstance(cancelled, Failed) and cancelled.code == "cancelled"
    async with db.session() as s:
        rows, _ = await store.list_messages(s, outcome.conversation_id, limit=20, offset=0)
        row = await s.get(Turn, slow.turn_id)
    assert [r.role for r in rows] == ["user", "assistant", "user"]  # the message stays, no answer
    assert row is not None and row.status == "cancelled" and row.error_code == "cancelled"
    with pytest.raises(Conflict):
        await agent.turns.cancel(principal, slow.turn_id)


async def test_a_finished_turn_replays_from_its_row_in_another_runner(
    db: Database, settings: Settings
) -> None:
    agent = Agent(db, settings, default_registry())
    principal = (await new_identity(db)).principal()
    handle = await agent.turns.submit(InboundMessage(principal, "how is the pipeline?"))
    live = [e async for _, e in agent.turns.follow(handle.turn_id)]
    other = TurnRunner(agent, db, settings)  # another process: nothing in memory
    replayed = [item async for item in other.follow(handle.turn_id)]
    assert [e for _, e in replayed] == live
    assert [n for n, _ in replayed] == list(range(1, len(live) + 1))
    assert [e for _, e in [item async for item in other.follow(handle.turn_id, after=3)]] == live[3:]
    assert await other.result(handle.turn_id) == live[-1]


async def test_orphaned_running_turns_are_interrupted_at_start(db: Database, settings: Settings) -> None:
    agent, _ = slow_agent(db, settings, 5)
    principal = (await new_identity(db)).principal()
    handle = await agent.turns.submit(InboundMessage(principal, "slow"))
    await asyncio.sleep(0.05)
    restarted = TurnRunner(agent, db, settings)  # a new process on the same store
    assert await restarted.start(owns_store=True) >= 1
    outcome = await restarted.result(handle.turn_id)
    assert isinstance(outcome, Failed) and outcome.code == "interrupted"
    await agent.turns.aclose(grace_seconds=0)
    async with db.session() as s:
        statuses = (await s.scalars(select(Turn.status).where(Turn.id == handle.turn_id))).all()
    assert statuses == ["interrupted"]
