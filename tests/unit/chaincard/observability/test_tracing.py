"""Trace context helpers and the JSON log line's trace fields (docs/adr/0051)."""

from __future__ import annotations

import json
import logging

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from chaincard.logs import JsonFormatter
from chaincard.observability import tracing

PARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def log_line(message: str) -> dict[str, str]:
    record = logging.LogRecord("chaincard.test", logging.INFO, __file__, 1, message, None, None)
    return json.loads(JsonFormatter("region-E").format(record))


def test_a_log_line_inside_a_span_carries_its_trace_and_span_ids():
    span = TracerProvider().get_tracer("test").start_span("Checkout", context=tracing.context_of(PARENT))
    with trace.use_span(span, end_on_exit=True):
        line = log_line("posted")
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")
    assert {"ts", "level", "process", "logger", "msg"} <= set(line)


def test_a_log_line_outside_any_span_has_no_trace_fields():
    assert "trace_id" not in log_line("idle")


def test_traceparent_values_are_read_strictly():
    assert trace.get_current_span(tracing.context_of(PARENT)).get_span_context().trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    for malformed in ("", "00-xyz", "00-00000000000000000000000000000000-b7ad6b7169203331-01"):
        assert tracing.context_of(malformed) is None


def test_with_tracing_off_nothing_is_propagated():
    assert not tracing.enabled()
    span = TracerProvider().get_tracer("test").start_span("Checkout")
    with trace.use_span(span, end_on_exit=True):
        assert tracing.current_traceparent() == ""
        # The relay passes a stored context on unchanged, making no span of its own.
        assert tracing.start_publish_span("chaincard.postings.v1", PARENT) == (None, PARENT)
