"""OpenTelemetry tracing: set up once per process, off unless an OTLP endpoint is configured.

Context crosses every hop in W3C ``traceparent`` form: gRPC metadata (``chaincard.observability.
grpc_observe``), the outbox row's envelope (``EventEnvelope.traceparent``, written with the
request's transaction) and the Kafka record's headers (the relay's publish span). With tracing off
(``enabled()`` False) none of this allocates anything: the hot path pays one attribute read.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind

__all__ = ["Span"]
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger(__name__)

TRACEPARENT = "traceparent"
_propagator = TraceContextTextMapPropagator()
_state: dict[str, Any] = {"enabled": False, "provider": None, "tracer": None}
# Process roles by the first word of the process name (chaincard.cli._serve): the OTel service name.
SERVICE_NAMES = {"hq": "hq_service", "region": "region_service", "relay": "region_relay", "store": "store_agent",
                 "settlement": "settlement", "cli": "chaincard_cli"}


def enabled() -> bool:
    return bool(_state["enabled"])


def otlp_endpoint(configured: str) -> str:
    """The OTLP/gRPC endpoint: the setting, else OpenTelemetry's own environment variables; "" = off."""
    return (configured or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
            or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")).strip()


def configure_tracing(process_name: str, endpoint: str) -> bool:
    """Export this process's spans by OTLP/gRPC to ``endpoint`` (batched); nothing when it is empty."""
    if not endpoint:
        return False
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    role = process_name.split("-", 1)[0]
    resource = Resource.create({"service.name": SERVICE_NAMES.get(role, role), "service.instance.id": process_name,
                                "service.namespace": "chaincard"})
    provider = TracerProvider(resource=resource)
    insecure = endpoint.startswith("http://")
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint, insecure=insecure)))
    trace.set_tracer_provider(provider)
    # One tracer for the process: asking the provider for it on every call costs more than the span.
    _state.update(enabled=True, provider=provider, tracer=provider.get_tracer("chaincard"))
    log.info("traces exported by OTLP", extra={"fields": {"endpoint": endpoint}})
    return True


def shutdown_tracing() -> None:
    """Flush the spans still batched (on a graceful stop)."""
    provider = _state["provider"]
    if provider is not None:
        provider.shutdown()
        _state.update(enabled=False, provider=None, tracer=None)


def tracer() -> trace.Tracer:
    found: trace.Tracer | None = _state["tracer"]
    return found if found is not None else trace.get_tracer("chaincard")


def context_of(traceparent: str) -> otel_context.Context | None:
    """The remote parent named by a W3C ``traceparent`` value (None: absent or malformed)."""
    if not traceparent:
        return None
    found = _propagator.extract({TRACEPARENT: traceparent})
    return found if trace.get_current_span(found).get_span_context().is_valid else None


def current_traceparent() -> str:
    """The ``traceparent`` of the current span ("" with tracing off or outside any span)."""
    if not _state["enabled"]:
        return ""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get(TRACEPARENT, "")


def traceparent_of(span: Span) -> str:
    carrier: dict[str, str] = {}
    _propagator.inject(carrier, context=trace.set_span_in_context(span))
    return carrier.get(TRACEPARENT, "")


def log_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the current span, for log lines; None outside a valid span."""
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return format(span_context.trace_id, "032x"), format(span_context.span_id, "016x")


# ---- the Kafka hops --------------------------------------------------------------------------------
def start_publish_span(topic: str, traceparent: str) -> tuple[Span | None, str]:
    """The relay's span publishing one event whose request had ``traceparent``; returns it and the
    header value the record carries (the request's own when tracing is off here)."""
    parent = context_of(traceparent) if _state["enabled"] else None
    if parent is None:
        return None, traceparent
    span = tracer().start_span(f"publish {topic}", context=parent, kind=SpanKind.PRODUCER,
                               attributes={"messaging.system": "kafka", "messaging.destination.name": topic})
    return span, traceparent_of(span)


def current_if_single(spans: Sequence[Span]) -> AbstractContextManager[object]:
    """Make the only span of ``spans`` current (log lines then name its trace); several: none is."""
    if len(spans) == 1:
        return trace.use_span(spans[0], end_on_exit=False)
    return nullcontext()


def end_spans(spans: Iterable[Span | None], error: BaseException | None = None) -> None:
    for span in spans:
        if span is None:
            continue
        if error is not None:
            span.record_exception(error)
            span.set_status(trace.Status(trace.StatusCode.ERROR, type(error).__name__))
        span.end()


def header_value(headers: Sequence[tuple[str, bytes]] | None, name: str) -> str:
    for key, value in headers or ():
        if key == name and value is not None:
            return value.decode("ascii", errors="replace")
    return ""


def start_consume_spans(group: str, records: Sequence[Any]) -> list[Span]:
    """One span per Kafka record that carries a ``traceparent`` header, child of its publish span,
    covering the transaction that applies the poll's records (ended by ``end_spans``)."""
    if not _state["enabled"]:
        return []
    spans = []
    for record in records:
        parent = context_of(header_value(getattr(record, "headers", None), TRACEPARENT))
        if parent is None:
            continue
        spans.append(tracer().start_span(
            f"consume {record.topic}", context=parent, kind=SpanKind.CONSUMER,
            attributes={"messaging.system": "kafka", "messaging.consumer.group.name": group,
                        "messaging.destination.name": record.topic, "messaging.kafka.offset": record.offset}))
    return spans
