"""`Agent`: what one turn does, and `Agent.turns` (a `TurnRunner`), the one path every door takes.

The runner stores the user message (committed) and starts the turn; `Agent.stream` then loads
history (within the token budget) -> runs the graph (route, agent, tools, ...: on LangGraph when
the turn runs under approval, else `graph_plain.PlainGraph`, the same nodes without Pregel) streaming
`AgentEvent`s -> hands back the assistant message with its tool calls, results and usage
(`Answer`), which the runner stores with the end of the turn in one transaction -> `Done`.
A new conversation is titled from its first message (by the model, if real).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable
from datetime import date
from functools import partial
from typing import Any

from frontdesk import clock
from frontdesk.agent.account_agents import layered_departments
from frontdesk.agent.approval import Approvals
from frontdesk.agent.departments import Department, load_departments, load_router_prompt
from frontdesk.agent.events import AgentEvent, Done, Failed, TextDelta
from frontdesk.agent.graph import PARAGRAPH, TurnDeps, build_graph
from frontdesk.agent.graph_plain import PlainGraph
from frontdesk.agent.history import stored_tool_calls, stored_tool_results, to_chat_messages
from frontdesk.agent.memory import fit_history, history_row_limit
from frontdesk.agent.model import ChatMessage, ChatModel, ImagePart
from frontdesk.agent.providers import resolve_model, resolve_real_model
from frontdesk.agent.titles import generate_title, title_from
from frontdesk.agent.turn_log import Answer, Began
from frontdesk.agent.turns import TurnRunner
from frontdesk.config import Settings
from frontdesk.errors import FrontdeskError, Invalid, NotFound, TooLarge
from frontdesk.storage import conversations as store
from frontdesk.storage import turn_writes as writes
from frontdesk.storage.db import Database
from frontdesk.storage.ids import utcnow
from frontdesk.storage.models import Conversation, Message
from frontdesk.storage.write_tx import Tx
from frontdesk.tools.base import ToolContext
from frontdesk.tools.registry import ToolRegistry
from frontdesk.types import InboundMessage

log = logging.getLogger(__name__)
TITLE_GRACE_SECONDS = 5.0  # how long a finished answer waits for its model-written title
__all__ = ["Agent", "title_from"]
Usage = dict[str, int]


def _with_images(messages: list[ChatMessage], inbound: InboundMessage) -> list[ChatMessage]:
    """Attach the inbound message's images to the current (last) user message (vision input)."""
    images = tuple(
        ImagePart(a.content_type, a.data)
        for a in inbound.attachments
        if a.content_type.startswith("image/") and a.data
    )
    if not images or not messages or messages[-1].role != "user":
        return messages
    return [*messages[:-1], dataclasses.replace(messages[-1], images=images)]


class Agent:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        registry: ToolRegistry,
        *,
        departments: dict[str, Department] | None = None,
        model_factory: Callable[[str], ChatModel] | None = None,
        today: Callable[[], date] = clock.today,
    ) -> None:
        self.db = db
        self.settings = settings
        self.registry = registry
        self.departments = departments or load_departments()
        self._model_factory = model_factory or (lambda name: resolve_model(name, settings))
        self._models: dict[str, ChatModel] = {}
        self._today = today
        self._graph = PlainGraph(settings.max_tool_iterations)  # no checkpoint: not on Pregel
        self.approvals = Approvals(partial(build_graph, settings.max_tool_iterations))  # agent.approval
        self._model(settings.model)  # fail fast on an unsupported model name or a missing key
        for dept in self.departments.values():
            if dept.model:
                self._model(dept.model)
        self.router_prompt = load_router_prompt()
        # Routing and titles ask a real model when one is configured; their fallback is offline code.
        self.router_model = resolve_real_model(self.router_prompt.model or settings.model, settings)
        self.title_model = resolve_real_model(settings.model, settings)
        self.turns = TurnRunner(self, db, settings)

    def _model(self, name: str) -> ChatModel:
        if name not in self._models:
            self._models[name] = self._model_factory(name)
        return self._models[name]

    def model_for(self, dept: Department) -> ChatModel:
        return self._model(dept.model or self.settings.model)

    def check(self, inbound: InboundMessage) -> None:
        if not inbound.text.strip():
            raise Invalid("Message text is empty")
        if len(inbound.text) > self.settings.max_message_chars:
            raise TooLarge(f"Message is longer than {self.settings.max_message_chars} characters")

    async def run_turn(self, inbound: InboundMessage) -> AsyncIterator[AgentEvent]:
        """Submit a turn to the server's runner and stream its events. Leaving early stops only this
        reader: the turn runs to its end (cancel it with `self.turns.cancel`)."""
        handle = await self.turns.submit(inbound)
        async for _, event in self.turns.follow(handle.turn_id):
            yield event

    async def stream(self, inbound: InboundMessage, began: Began) -> AsyncIterator[AgentEvent | Answer]:
        """The turn after its user message was stored: history -> graph -> the answer, which the
        runner stores with the end of the turn (`Answer`)."""
        conv = began.conversation
        rows = await self._history(began)
        history = fit_history(to_chat_messages(rows), self.settings.history_token_budget)
        deps = TurnDeps(
            tool_ctx=ToolContext(inbound.principal, self.db, self.settings),
            registry=self.registry,
            departments=await layered_departments(self.db, inbound.principal, self.departments),
            model_for=self.model_for,
            today=self._today,
            router_model=self.router_model,
            router_template=self.router_prompt.template,
        )
        titling = (
            asyncio.create_task(generate_title(self.title_model, inbound.text))
            if began.fresh and self.title_model is not None
            else None
        )
        state: dict[str, Any] = {}
        start = {
            "messages": _with_images(history, inbound),
            "previous_department": began.previous_department,
        }
        graph, graph_input, config = self._graph, start, None
        approving = await self.approvals.begin(self.db, inbound, conv.id, start, waiting=began.waiting)
        if approving is not None:
            graph, (graph_input, config) = self.approvals.graph, approving
        try:
            async with asyncio.timeout(self.settings.turn_timeout_seconds):
                async for mode, chunk in graph.astream(
                    graph_input, config=config, context=deps, stream_mode=["custom", "values"]
                ):
                    if mode == "custom":
                        yield chunk
                    else:
                        state = chunk
                if config is not None and (question := await self.approvals.question(conv.id, config)):
                    shown = "".join(state.get("shown", []))
                    question = f"{PARAGRAPH}{question}" if shown else question
                    yield TextDelta(question)  # the turn ends asking; the next message answers
                    state = state | {"final_text": shown + question}
        except TimeoutError:
            yield Failed(f"The turn took longer than {self.settings.turn_timeout_seconds:g} s", "timeout")
            return
        except FrontdeskError as e:
            yield Failed(e.detail, e.code)
            return
        except Exception:
            log.exception("turn failed in conversation %s", conv.id)
            yield Failed("The agent failed while answering; the message was saved.", "agent_error")
            return
        finally:
            if titling is not None and not titling.done() and not state.get("final_text"):
                titling.cancel()
                titling = None
        title, title_usage = await self._title(titling)
        yield self._answer(inbound, conv, state, title, title_usage)

    async def _history(self, began: Began) -> list[Message]:
        """The stored messages the model sees; the conversation's first message is all there is."""
        if began.message.seq == 1:
            return [began.message]
        async with self.db.session() as s:
            limit = history_row_limit(self.settings.history_token_budget)
            return await store.recent_messages(s, began.conversation.id, limit)

    async def _title(
        self, titling: asyncio.Task[tuple[str | None, Usage]] | None
    ) -> tuple[str | None, Usage]:
        """The generated title, if it is ready within a short grace period after the answer.
        A cancel of the whole turn (client gone) is not swallowed."""
        if titling is None or titling.cancelled():
            return None, {}
        try:
            return await asyncio.wait_for(asyncio.shield(titling), TITLE_GRACE_SECONDS)
        except TimeoutError:
            titling.cancel()
            return None, {}

    def _answer(
        self,
        inbound: InboundMessage,
        conv: Conversation,
        state: dict[str, Any],
        title: str | None = None,
        title_usage: Usage | None = None,
    ) -> Answer:
        tool_log = state.get("tool_log") or []
        usage = {"input_tokens": 0, "output_tokens": 0} | (state.get("usage") or {})
        for key, value in (title_usage or {}).items():
            usage[key] = usage.get(key, 0) + value
        department = state.get("department", "")
        reply_message = store.NewMessage(
            "assistant",
            state.get("final_text", ""),
            channel=inbound.channel,
            tool_calls=stored_tool_calls(tool_log) or None,
            tool_results=stored_tool_results(tool_log) or None,
            agent_used=department,
            tokens_in=usage["input_tokens"],
            tokens_out=usage["output_tokens"],
        )

        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]

        def store_reply(tx: Tx) -> Done:
            now = utcnow()
            changes = {"department": department, "updated_at": now} | ({"title": title} if title else {})
            found = writes.update_for_write_tx(tx, conv.id, changes)
            if found is None:
                raise NotFound("The conversation was deleted while the agent was answering")
            [reply] = writes.insert_messages_tx(
                tx, found.conversation, [reply_message], last_seq=found.last_seq, now=now
            )
            return Done(conv.id, reply.id, reply.content, department, usage)

        return Answer(store_reply)
