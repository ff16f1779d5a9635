"""gRPC server bootstrap shared by every service: health, reflection, interceptors, graceful stop."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from chaincard.observability.grpc_observe import ObservingServerInterceptor
from chaincard.rpc.interceptors import DomainErrorInterceptor
from chaincard.rpc.transport import PLAINTEXT, Transport

log = logging.getLogger(__name__)

# (generated add_XServicer_to_server function, servicer instance, full service name)
ServiceRegistration = tuple[Callable[[Any, grpc.Server], None], Any, str]


@dataclass
class RunningServer:
    server: grpc.Server
    port: int
    health: health.HealthServicer
    service_names: list[str]
    on_stop: list[Callable[[], None]] = field(default_factory=list)

    def stop(self, grace: float = 5.0) -> None:
        """Drain: report NOT_SERVING, let in-flight calls finish within ``grace``, then stop helpers."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        for callback in reversed(self.on_stop):
            try:
                callback()
            except Exception:  # noqa: BLE001 - stopping must finish whatever one helper does
                log.exception("error while stopping")


def build_server(
    listen: str,
    services: Sequence[ServiceRegistration],
    *,
    interceptors: Iterable[grpc.ServerInterceptor] = (),
    transport: Transport = PLAINTEXT,
    max_workers: int = 32,
) -> RunningServer:
    """Start a server on ``listen`` (port 0 picks one) with health and reflection, over
    ``transport`` (mTLS demanding a chain certificate, or plaintext); returns it running."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers),
        # Auth interceptors (given) run before the error mapper, which wraps the servicer itself.
        # The observer first: it counts and times what the auth interceptors refuse, too.
        interceptors=[ObservingServerInterceptor(), *interceptors, DomainErrorInterceptor()],
        options=[("grpc.so_reuseport", 0),
                 # Our channels ping every 30 s (chaincard.rpc.channels); a call that sends nothing for
                 # minutes (an import of a million rows answers at the end) must not be cut with GOAWAY
                 # "too_many_pings", as the default five-minute floor did after three pings.
                 ("grpc.http2.min_ping_interval_without_data_ms", 20_000)],
    )
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    names = []
    for add_to_server, servicer, name in services:
        add_to_server(servicer, server)
        names.append(name)
    reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    port = transport.listen(server, listen)
    if port == 0:
        raise RuntimeError(f"cannot listen on {listen}")
    server.start()
    for name in ["", *names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server=server, port=port, health=health_servicer, service_names=names)


def write_port_file(path: str, port: int) -> None:
    """Tell a supervisor which port we bound (atomically: it polls for the file)."""
    if not path:
        return
    target = Path(path)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(str(port))
    temporary.replace(target)


def serve_until_signalled(running: RunningServer, grace: float = 5.0) -> None:
    """Block until SIGTERM or SIGINT, then drain and stop."""
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        log.info("stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    stop_requested.wait()
    running.stop(grace)
