"""The Prometheus series frontdesk exports at `/metrics` (`prometheus-client`), one registry a process.

| series | labels | recorded by |
|---|---|---|
| `frontdesk_http_requests_total` | method, route (template), status | `api/middleware.py` |
| `frontdesk_http_request_duration_seconds` | method, route | `api/middleware.py` |
| `frontdesk_open_connections` | kind (`sse`, `websocket`) | `api/middleware.py` |
| `frontdesk_turns_total` | door, department, outcome | `agent/turns.py` (each finished turn) |
| `frontdesk_turn_duration_seconds` | door | `agent/turns.py` |
| `frontdesk_tool_calls_total`, `frontdesk_tool_errors_total` | tool | `tools/registry.py` (every face) |
| `frontdesk_tool_duration_seconds` | tool | `tools/registry.py` |
| `frontdesk_model_request_duration_seconds` | provider, outcome | `agent/providers/observed.py` |
| `frontdesk_model_tokens_total` | provider, direction (`input`, `output`) | `agent/providers/observed.py` |
| `frontdesk_job_queue_depth` | queue | read from the store at each scrape (`api/routes/metrics.py`) |
| `frontdesk_helper_executions_queued` | — | read from the store at each scrape |

Labels are bounded: routes are templates (`/chat/turns/{turn_id}`, never an id), an unmatched
path is `unmatched`; tools, doors, departments and providers are names from the code or config.
This module imports nothing of frontdesk, so every layer may record into it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

REGISTRY = CollectorRegistry(auto_describe=True)
CONTENT_TYPE = CONTENT_TYPE_LATEST
_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SLOW = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)

HTTP_REQUESTS = Counter(
    "frontdesk_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=REGISTRY
)
HTTP_DURATION = Histogram(
    "frontdesk_http_request_duration_seconds",
    "Time to answer an HTTP request (a stream: until it closes)",
    ["method", "route"],
    buckets=_FAST,
    registry=REGISTRY,
)
OPEN_CONNECTIONS = Gauge(
    "frontdesk_open_connections", "Open streaming connections", ["kind"], registry=REGISTRY
)
TURNS = Counter("frontdesk_turns", "Finished turns", ["door", "department", "outcome"], registry=REGISTRY)
TURN_DURATION = Histogram(
    "frontdesk_turn_duration_seconds", "Wall-clock time of a turn", ["door"], buckets=_SLOW, registry=REGISTRY
)
TOOL_CALLS = Counter("frontdesk_tool_calls", "Tool calls made by the agent", ["tool"], registry=REGISTRY)
TOOL_ERRORS = Counter(
    "frontdesk_tool_errors", "Tool calls that ended in an error", ["tool"], registry=REGISTRY
)
TOOL_DURATION = Histogram(
    "frontdesk_tool_duration_seconds", "Time of one tool call", ["tool"], buckets=_FAST, registry=REGISTRY
)
MODEL_DURATION = Histogram(
    "frontdesk_model_request_duration_seconds",
    "Time of one model request, first byte to last chunk",
    ["provider", "outcome"],
    buckets=_SLOW,
    registry=REGISTRY,
)
MODEL_TOKENS = Counter(
    "frontdesk_model_tokens",
    "Tokens reported by model providers",
    ["provider", "direction"],
    registry=REGISTRY,
)
JOB_QUEUE_DEPTH = Gauge(
    "frontdesk_job_queue_depth", "Jobs queued and due, by queue", ["queue"], registry=REGISTRY
)
HELPER_QUEUE_DEPTH = Gauge(
    "frontdesk_helper_executions_queued", "Helper executions waiting for a worker", registry=REGISTRY
)
for _kind in ("sse", "websocket"):  # present from the first scrape, at 0
    OPEN_CONNECTIONS.labels(_kind)


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_DURATION.labels(method, route).observe(seconds)


def observe_turn(door: str, department: str, outcome: str, seconds: float) -> None:
    TURNS.labels(door, department or "none", outcome).inc()
    TURN_DURATION.labels(door).observe(seconds)


def observe_model(provider: str, outcome: str, seconds: float, input_tokens: int, output_tokens: int) -> None:
    MODEL_DURATION.labels(provider, outcome).observe(seconds)
    if input_tokens:
        MODEL_TOKENS.labels(provider, "input").inc(input_tokens)
    if output_tokens:
        MODEL_TOKENS.labels(provider, "output").inc(output_tokens)


@contextmanager
def tool_call(tool: str) -> Iterator[None]:
    """Count and time one tool call; an exception leaving the block counts as an error."""
    TOOL_CALLS.labels(tool).inc()
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        TOOL_ERRORS.labels(tool).inc()
        raise
    finally:
        TOOL_DURATION.labels(tool).observe(time.perf_counter() - start)


@contextmanager
def open_connection(kind: str) -> Iterator[None]:
    OPEN_CONNECTIONS.labels(kind).inc()
    try:
        yield
    finally:
        OPEN_CONNECTIONS.labels(kind).dec()


def exposition() -> bytes:
    """The registry in the Prometheus text format."""
    return generate_latest(REGISTRY)
