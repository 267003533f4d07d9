"""OpenTelemetry traces, opt-in: set `FRONTDESK_OTEL_ENDPOINT` and install the `otel` extra.

    pip install 'frontdesk[otel]'
    FRONTDESK_OTEL_ENDPOINT=http://collector:4318/v1/traces frontdesk serve

Spans nest as a request walks: `HTTP POST /chat/send` (api/middleware.py) -> `turn` (agent/turns.py,
in the server-owned task, which inherits the request's context) -> `model <provider>`
(agent/providers/observed.py) and `tool <name>` (agent/graph.py). Unconfigured, `span(...)` is a
no-op and nothing of OpenTelemetry is imported, so the default install does not need it.
Spans go over OTLP/HTTP (protobuf) in a background thread (`BatchSpanProcessor`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING, Any

from frontdesk import __version__
from frontdesk.config import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Span, Tracer

MISSING_EXTRA = (
    "FRONTDESK_OTEL_ENDPOINT is set but OpenTelemetry is not installed: pip install 'frontdesk[otel]'"
)
_tracer: Tracer | None = None
_provider: TracerProvider | None = None


class TracingUnavailable(RuntimeError):
    """The endpoint is configured but the `otel` extra is missing."""


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def available() -> bool:
    """The `otel` extra is installed: the SDK and the OTLP/HTTP exporter."""
    return _found("opentelemetry.sdk") and _found("opentelemetry.exporter.otlp.proto.http")


def configure(settings: Settings, exporter: SpanExporter | None = None) -> bool:
    """Start exporting spans when `settings.otel_endpoint` is set (or an `exporter` is given: the
    tests pass the SDK's in-memory one); return whether tracing is on. Raises `TracingUnavailable`
    when the endpoint is set and the extra is missing."""
    global _tracer, _provider
    if not settings.otel_endpoint and exporter is None:
        return False
    if not (available() if exporter is None else _found("opentelemetry.sdk")):
        raise TracingUnavailable(MISSING_EXTRA)
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    shutdown()
    provider = TracerProvider(
        resource=Resource.create({"service.name": "frontdesk", "service.version": __version__})
    )
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_endpoint)))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    _provider, _tracer = provider, provider.get_tracer("frontdesk", __version__)
    return True


def shutdown() -> None:
    """Flush and stop exporting (the server's shutdown; tests between cases)."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None


def enabled() -> bool:
    return _tracer is not None


@contextmanager
def _started(name: str, attributes: dict[str, Any]) -> Iterator[Span]:
    assert _tracer is not None
    with _tracer.start_as_current_span(name, attributes=_clean(attributes)) as current:
        yield current


def span(name: str, **attributes: Any) -> Any:
    """A context manager: a span under the current one (the `Span`, or None when tracing is off)."""
    if _tracer is None:
        return nullcontext(None)
    return _started(name, attributes)


def _clean(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k.replace("__", "."): v for k, v in attributes.items() if v is not None}
