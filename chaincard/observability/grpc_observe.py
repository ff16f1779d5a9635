"""The RPC hop of metrics and traces: a server interceptor (outermost, so refused and failed calls
count too) and a client interceptor that passes the caller's trace context on as ``traceparent``.

Ours rather than opentelemetry-instrumentation-grpc: one wrapper does both the Prometheus figures
and the span, and with tracing off it costs a clock read and a counter bump (docs/adr/0051).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from chaincard.observability import metrics, tracing
from chaincard.rpc.transport import replace_metadata

# Health and reflection calls are measured but not traced: probes every second would bury the traces.
_UNTRACED_PREFIXES = ("/grpc.",)


def _code_name(context: grpc.ServicerContext, raised: bool) -> str:
    code = getattr(context, "code", None)
    status = code() if callable(code) else None
    if status is None:
        return "UNKNOWN" if raised else "OK"
    return str(status.name)


def _incoming_parent(context: grpc.ServicerContext) -> otel_context.Context | None:
    for key, value in context.invocation_metadata() or ():
        if key == tracing.TRACEPARENT and isinstance(value, str):
            return tracing.context_of(value)
    return None


class _Observation:
    """One call's clock and (with tracing on) its server span, made current for the handler."""

    __slots__ = ("method", "started", "span", "token")

    def __init__(self, method: str, context: grpc.ServicerContext) -> None:
        self.method = method
        self.started = time.perf_counter()
        self.span: trace.Span | None = None
        self.token: object = None
        if tracing.enabled() and not method.startswith(_UNTRACED_PREFIXES):
            self.span = tracing.tracer().start_span(
                method.lstrip("/"), context=_incoming_parent(context), kind=SpanKind.SERVER,
                attributes={"rpc.system": "grpc", "rpc.method": method})
            self.token = otel_context.attach(trace.set_span_in_context(self.span))

    def finish(self, context: grpc.ServicerContext, raised: bool) -> None:
        code = _code_name(context, raised)
        metrics.observe_rpc(self.method, code, time.perf_counter() - self.started)
        if self.span is not None:
            self.span.set_attribute("rpc.grpc.status_code", code)
            if code != "OK":
                self.span.set_status(trace.Status(trace.StatusCode.ERROR, code))
            self.span.end()
            otel_context.detach(self.token)  # type: ignore[arg-type]


def _observe_unary(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    def observed(request: Any, context: grpc.ServicerContext) -> Any:
        observation = _Observation(method, context)
        raised = True
        try:
            answer = behavior(request, context)
            raised = False
            return answer
        finally:
            observation.finish(context, raised)

    return observed


def _observe_stream(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    def observed(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        observation = _Observation(method, context)
        raised = True
        try:
            yield from behavior(request, context)
            raised = False
        finally:
            observation.finish(context, raised)

    return observed


class ObservingServerInterceptor(grpc.ServerInterceptor):
    """Counts every call by method and status, times it, and (tracing on) serves it in a span that
    continues the caller's trace."""

    def intercept_service(self, continuation: Callable[..., Any], handler_call_details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _observe_unary(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _observe_stream(handler.unary_stream, method),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                _observe_unary(handler.stream_unary, method),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
        if handler.stream_stream:
            return grpc.stream_stream_rpc_method_handler(
                _observe_stream(handler.stream_stream, method),
                request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer)
        return handler


class TraceContextClientInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                                    grpc.StreamUnaryClientInterceptor):
    """Sends the current span's ``traceparent`` with every call (nothing outside a span)."""

    def _with_context(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        traceparent = tracing.current_traceparent()
        if not traceparent:
            return details
        metadata = [item for item in (details.metadata or ()) if item[0] != tracing.TRACEPARENT]
        return replace_metadata(details, [*metadata, (tracing.TRACEPARENT, traceparent)])

    def intercept_unary_unary(self, continuation: Any, details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._with_context(details), request)

    def intercept_unary_stream(self, continuation: Any, details: grpc.ClientCallDetails, request: Any) -> Any:
        return continuation(self._with_context(details), request)

    def intercept_stream_unary(self, continuation: Any, details: grpc.ClientCallDetails, request_iterator: Any) -> Any:
        return continuation(self._with_context(details), request_iterator)
