"""An OTLP/gRPC trace receiver in the test process: the chain's processes export their spans to it
with the real OTLP exporter, and tests look the spans up by trace id."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


@dataclass(frozen=True)
class ReceivedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    service: str
    instance: str


class _Collector(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self.lock = threading.Lock()

    def Export(self, request, context):  # noqa: N802 - the generated name
        received = []
        for resource_spans in request.resource_spans:
            attributes = {item.key: item.value.string_value for item in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    received.append(ReceivedSpan(
                        trace_id=span.trace_id.hex(), span_id=span.span_id.hex(), parent_span_id=span.parent_span_id.hex(),
                        name=span.name, kind=span.kind, service=attributes.get("service.name", ""),
                        instance=attributes.get("service.instance.id", "")))
        with self.lock:
            self.spans += received
        return trace_service_pb2.ExportTraceServiceResponse()


class OtlpReceiver:
    def __init__(self, collector: _Collector, endpoint: str) -> None:
        self._collector = collector
        self.endpoint = endpoint

    def spans_of(self, trace_id: str) -> list[ReceivedSpan]:
        with self._collector.lock:
            return [span for span in self._collector.spans if span.trace_id == trace_id]

    def wait_for(self, trace_id: str, instances: set[str], timeout: float = 60.0) -> list[ReceivedSpan]:
        """The trace's spans once spans from every process in ``instances`` arrived (or at the deadline)."""
        deadline = time.monotonic() + timeout
        while True:
            spans = self.spans_of(trace_id)
            if instances <= {span.instance for span in spans} or time.monotonic() > deadline:
                return spans
            time.sleep(0.2)


@contextmanager
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """A plaintext OTLP/gRPC receiver on a free port (``endpoint`` is ``http://127.0.0.1:<port>``)."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    collector = _Collector()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(collector, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield OtlpReceiver(collector, f"http://127.0.0.1:{port}")
    finally:
        server.stop(0)
