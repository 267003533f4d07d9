"""Logging, configured once per process, and the request context every log line carries.

    configure(settings)                 # the CLI does this before a command runs
    with request_scope(request_id):     # the HTTP middleware, around each request
        note_identity(user_id, account_id)   # api/deps.py, once the bearer is resolved

Output goes to stderr: plain text on a terminal, JSON lines when stderr is not a terminal or
`FRONTDESK_LOG_FORMAT=json`. Every line names the request it belongs to (`request_id`, `user_id`,
`account_id`) and, inside a turn, the turn (`turn_id`). The context lives in `contextvars`, so a
task started during a request (a server-owned turn: `asyncio.create_task` copies the context)
logs under the request that started it. The request's `RequestLog` is a mutable object shared by
reference, so the identity noted deep in a dependency reaches the access line written by the
middleware after the route returns.

Nothing secret goes into a line: only ids, never tokens or message text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from frontdesk.config import Settings

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")
_CONTEXT_FIELDS = ("request_id", "user_id", "account_id", "turn_id")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", *_CONTEXT_FIELDS}


@dataclass(slots=True)
class RequestLog:
    """What is known about the current request; filled in as the request goes."""

    request_id: str
    user_id: str | None = None
    account_id: str | None = None


_request: ContextVar[RequestLog | None] = ContextVar("frontdesk_request", default=None)
_turn: ContextVar[str | None] = ContextVar("frontdesk_turn", default=None)


def request_id_from(header: str | None) -> str:
    """The client's `X-Request-ID` when it is short and safe (letters, digits, `._:-`, at most
    64), else a new one: a client cannot inject line breaks or markup into the logs."""
    if header and _VALID_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


@contextmanager
def request_scope(request_id: str) -> Iterator[RequestLog]:
    entry = RequestLog(request_id)
    token = _request.set(entry)
    try:
        yield entry
    finally:
        _request.reset(token)


@contextmanager
def turn_scope(turn_id: str) -> Iterator[None]:
    token = _turn.set(turn_id)
    try:
        yield
    finally:
        _turn.reset(token)


def current_request() -> RequestLog | None:
    return _request.get()


def note_identity(user_id: str, account_id: str) -> None:
    """Who the current request acts as (no-op outside a request)."""
    entry = _request.get()
    if entry is not None:
        entry.user_id, entry.account_id = user_id, account_id


class ContextFilter(logging.Filter):
    """Puts the request and turn context on every record (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        entry = _request.get()
        record.request_id = entry.request_id if entry else None
        record.user_id = entry.user_id if entry else None
        record.account_id = entry.account_id if entry else None
        record.turn_id = _turn.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the context, and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _CONTEXT_FIELDS:
            if (value := getattr(record, name, None)) is not None:
                line[name] = value
        for name, value in record.__dict__.items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`12:00:01 INFO  frontdesk.x: message  [req=… user=… turn=…]` for a person at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-5s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        tags = [
            f"{short}={value}"
            for short, name in (("req", "request_id"), ("user", "user_id"), ("turn", "turn_id"))
            if (value := getattr(record, name, None)) is not None
        ]
        return f"{text}  [{' '.join(tags)}]" if tags else text


def wants_json(log_format: str, stream: TextIO) -> bool:
    if log_format == "json":
        return True
    if log_format == "text":
        return False
    return not (hasattr(stream, "isatty") and stream.isatty())


_HANDLER_NAME = "frontdesk"


def configure(settings: Settings, *, stream: TextIO | None = None, level: str | None = None) -> None:
    """Send every logger's records (frontdesk's, uvicorn's, libraries') through one stderr handler.
    Calling it again replaces the handler, so it is configured once whoever calls."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if wants_json(settings.log_format, stream) else TextFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level or settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # into the one handler, once
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    for noisy in ("httpx", "httpcore", "aiosqlite", "asyncio", "alembic.runtime.plugins"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
