"""The simulated network: a ``grpc.Channel`` whose calls a seeded scheduler delivers, drops, delays,
duplicates and answers (or loses the answer of), to nodes that serve the production servicers.

A node's servicers are registered with the generated ``add_*Servicer_to_server`` functions and
wrapped by the production ``DomainErrorInterceptor``, so a call takes the path it takes in a
server: bytes in, the servicer, a domain error turned into its status and trailers, bytes out.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health_pb2

from chaincard import clock
from chaincard.rpc.interceptors import DomainErrorInterceptor

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
Metadata = tuple[tuple[str, str], ...]


class Crash(BaseException):  # noqa: N818 - an event, not an error: the node dies here
    """The calling node crashed before it could handle the answer (a BaseException: no production
    ``except Exception`` swallows it, open transactions roll back). The scheduler restarts the node."""


class SimRpcError(grpc.RpcError):
    """A failed call as a client sees it: a status, details and trailing metadata (grpc.Call's)."""

    def __init__(self, code: grpc.StatusCode, details: str, trailing: Metadata = ()) -> None:
        super().__init__(f"{code.name}: {details}")
        self._code, self._details, self._trailing = code, details, trailing

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> Any:  # grpc.Call's: (key, value) pairs
        return self._trailing


class _Aborted(Exception):  # noqa: N818 - how context.abort leaves the servicer
    pass


class SimServicerContext:
    """What the production servicers and interceptor use of a ``grpc.ServicerContext``."""

    def __init__(self, metadata: Metadata, timeout: float | None) -> None:
        self._metadata, self._timeout = metadata, timeout
        self._code: grpc.StatusCode | None = None
        self._details = ""
        self._trailing: Metadata = ()

    def invocation_metadata(self) -> Metadata:
        return self._metadata

    def time_remaining(self) -> float | None:
        return self._timeout

    def is_active(self) -> bool:
        return True

    def set_trailing_metadata(self, metadata: Metadata) -> None:
        self._trailing = tuple(metadata)

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code, self._details = code, details
        raise _Aborted(details)

    def code(self) -> grpc.StatusCode | None:
        return self._code


class _CapturingServer:
    """Stands in for ``grpc.Server`` when the generated ``add_*_to_server`` registers a servicer."""

    def __init__(self) -> None:
        self.handlers: dict[str, Any] = {}

    def add_generic_rpc_handlers(self, handlers: Sequence[Any]) -> None:
        pass  # the registered handlers below carry the same methods

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Any]) -> None:
        for method, handler in handlers.items():
            self.handlers[f"/{service}/{method}"] = handler


class _Details:
    def __init__(self, method: str) -> None:
        self.method = method
        self.invocation_metadata: Metadata = ()


class Node:
    """A process on the network: its servicers (a server's), and whether it is up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.up = True
        self.handlers: dict[str, Any] = {}

    def serve(self, registrations: Sequence[tuple[Callable[[Any, Any], None], Any]]) -> None:
        server = _CapturingServer()
        for add, servicer in registrations:
            add(servicer, server)
        guard = DomainErrorInterceptor()
        self.handlers = {}
        for method, handler in server.handlers.items():
            details: Any = _Details(method)  # what the interceptor reads of grpc.HandlerCallDetails
            self.handlers[method] = guard.intercept_service(lambda _details, handler=handler: handler, details)

    def handle(self, method: str, request: bytes, metadata: Metadata, timeout: float | None) -> bytes:
        """Serve one call; raises SimRpcError with the servicer's status."""
        if method == HEALTH_CHECK:
            return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING).SerializeToString()
        handler: Any = self.handlers.get(method)
        if handler is None or handler.unary_unary is None:
            raise SimRpcError(grpc.StatusCode.UNIMPLEMENTED, f"{method} is not served by {self.name}")
        context = SimServicerContext(metadata, timeout)
        try:
            answer = handler.unary_unary(handler.request_deserializer(request), context)
        except _Aborted:
            assert context._code is not None
            raise SimRpcError(context._code, context._details, context._trailing) from None
        serialized: bytes = handler.response_serializer(answer)
        return serialized


@dataclass
class Faults:
    """How often each thing goes wrong on a call, drawn per seed."""

    drop: float = 0.0  # the request never arrives: the caller's deadline passes
    delay: float = 0.0  # it arrives after the caller gave up (delivered later, answer lost)
    duplicate: float = 0.0  # it arrives, and a copy arrives again later
    lose_answer: float = 0.0  # it is served, the answer never arrives
    crash: float = 0.0  # it is served, the calling store crashes before handling the answer
    # False: a link keeps its order (a late request, or a copy, arrives before the sender's next
    # request on that link, as on one HTTP/2 connection); reordering is then between links only.
    # True: a late request may arrive after the sender's retries of it were answered (a request stuck
    # in a server's queue). `python -m simulation --overtaking`: see docs/adr/0048 for what it finds.
    overtaking: bool = False

    @classmethod
    def drawn(cls, rng: random.Random, *, overtaking: bool = False) -> Faults:
        level = rng.choice((0.0, 0.05, 0.15, 0.3))
        drop, delay, duplicate, lose_answer, crash = (rng.uniform(0, level) for _ in range(5))
        return cls(drop, delay, duplicate, lose_answer, crash, overtaking=overtaking)


@dataclass
class _Late:
    source: str
    target: str
    method: str
    request: bytes
    metadata: Metadata


@dataclass
class Network:
    rng: random.Random
    faults: Faults = field(default_factory=Faults)
    nodes: dict[str, Node] = field(default_factory=dict)
    # Nodes whose own crash the network may cause on an answer (the store agents).
    crashable: set[str] = field(default_factory=set)
    # Requests in flight that arrive later (delayed or duplicated), oldest first.
    late: list[_Late] = field(default_factory=list)
    # No faults at all (the set-up, and the end when everything heals).
    calm: bool = True
    trace: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.trace.append(f"{clock.current().now():%H:%M:%S.%f} {text}")

    def channel(self, source: str, target: str) -> SimChannel:
        return SimChannel(self, source, target)

    def _roll(self, chance: float) -> bool:
        return not self.calm and self.rng.random() < chance

    def call(self, source: str, target: str, method: str, request: bytes, metadata: Metadata, timeout: float | None) -> bytes:
        name = method.rsplit("/", 1)[-1]
        if not self.faults.overtaking:
            self._deliver_link(source, target)
        node = self.nodes.get(target)
        waited = timeout if timeout is not None else 5.0
        if node is None or not node.up:
            clock.current().sleep(0.01)
            self.note(f"{source}->{target} {name}: UNAVAILABLE ({target} down)")
            raise SimRpcError(grpc.StatusCode.UNAVAILABLE, f"{target} is not answering (connection refused)")
        if self._roll(self.faults.drop):
            clock.current().sleep(waited)
            self.note(f"{source}->{target} {name}: request dropped")
            raise SimRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded (request lost)")
        if self._roll(self.faults.delay):
            self.late.append(_Late(source, target, method, request, metadata))
            clock.current().sleep(waited)
            self.note(f"{source}->{target} {name}: request delayed past the deadline")
            raise SimRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded (request delayed)")
        if self._roll(self.faults.duplicate):
            self.late.append(_Late(source, target, method, request, metadata))
            self.note(f"{source}->{target} {name}: request duplicated (the copy arrives later)")
        clock.current().sleep(0.001)
        try:
            answer = node.handle(method, request, metadata, timeout)
        except SimRpcError as error:
            self.note(f"{source}->{target} {name}: {error.code().name} {error.details()[:80]}")
            self._after_answer(source, target, name, waited)
            raise
        self.note(f"{source}->{target} {name}: OK")
        self._after_answer(source, target, name, waited)
        return answer

    def _after_answer(self, source: str, target: str, name: str, waited: float) -> None:
        if self._roll(self.faults.lose_answer):
            clock.current().sleep(waited)
            self.note(f"{source}->{target} {name}: answer lost")
            raise SimRpcError(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded (answer lost)")
        if source in self.crashable and self._roll(self.faults.crash):
            self.note(f"{source} crashes before handling the answer of {name}")
            raise Crash(source)

    def _deliver_link(self, source: str, target: str) -> None:
        """What is still in flight on this link arrives now, in order (before the sender's next request)."""
        for held in [held for held in self.late if held.source == source and held.target == target]:
            self.late.remove(held)
            self._arrive(held)

    def _arrive(self, held: _Late) -> None:
        node = self.nodes.get(held.target)
        name = held.method.rsplit("/", 1)[-1]
        if node is None or not node.up:
            self.note(f"late {held.source}->{held.target} {name}: lost ({held.target} down)")
            return
        try:
            node.handle(held.method, held.request, held.metadata, 5.0)
            self.note(f"late {held.source}->{held.target} {name}: served")
        except SimRpcError as error:
            self.note(f"late {held.source}->{held.target} {name}: {error.code().name}")

    def deliver_late(self, *, every: bool = False) -> None:
        """One request in flight (a random one: they overtake each other) arrives now, or all of
        them; its answer goes nowhere (the caller gave up long ago)."""
        while self.late:
            held = self.late.pop(self.rng.randrange(len(self.late)))
            if not self.faults.overtaking:  # the earlier ones on its link arrive first
                self._deliver_link(held.source, held.target)
            self._arrive(held)
            if not every:
                return


class _UnaryUnary:
    def __init__(self, channel: SimChannel, method: str, serialize: Callable[[Any], bytes],
                 deserialize: Callable[[bytes], Any]) -> None:
        self.channel, self.method, self.serialize, self.deserialize = channel, method, serialize, deserialize

    def __call__(self, request: Any, timeout: float | None = None, metadata: Any = None, **_: Any) -> Any:
        sent = tuple((str(key), str(value)) for key, value in (metadata or ()))
        answer = self.channel.network.call(self.channel.source, self.channel.target, self.method,
                                           self.serialize(request), sent, timeout)
        return self.deserialize(answer)


class SimChannel:
    """The seam: a ``grpc.Channel`` (as the generated stubs use one) onto the simulated network."""

    def __init__(self, network: Network, source: str, target: str) -> None:
        self.network, self.source, self.target = network, source, target

    def unary_unary(self, method: str, request_serializer: Callable[[Any], bytes] | None = None,
                    response_deserializer: Callable[[bytes], Any] | None = None, **_: Any) -> _UnaryUnary:
        return _UnaryUnary(self, method, request_serializer or bytes, response_deserializer or (lambda raw: raw))

    def unary_stream(self, method: str, *_: Any, **__: Any) -> Callable[..., Any]:
        def refused(*_: Any, **__: Any) -> Any:
            raise SimRpcError(grpc.StatusCode.UNIMPLEMENTED, f"{method}: streams are not simulated")
        return refused

    stream_unary = unary_stream
    stream_stream = unary_stream

    def close(self) -> None:
        pass
