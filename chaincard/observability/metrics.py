"""Every Prometheus metric a ChainCard process exports, and the HTTP endpoint serving them.

One module names them all, so the dashboard (deploy/grafana), the alert rules (deploy/prometheus)
and ``chaincard status`` read the same names. A process registers only what it feeds: a metric
that a process never touches is still exported (at zero, or without series when labelled).

Hot path: the RPC interceptor looks each (method, status) child up once and keeps it
(``rpc_children``); ``labels()`` takes a lock and builds a tuple on every call otherwise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

# Seconds: a till call is tens of milliseconds; a forwarded one or a busy server, up to the deadline.
RPC_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# A nightly settlement run takes seconds to minutes.
SETTLEMENT_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)

RPC_HANDLED = Counter("chaincard_rpc_server_handled", "RPCs served, by full method name and gRPC status code",
                      ["method", "code"])
RPC_SECONDS = Histogram("chaincard_rpc_server_handling_seconds", "Time to serve an RPC, by full method name",
                        ["method"], buckets=RPC_BUCKETS)
RPC_DENIED = Counter("chaincard_rpc_denied", "RPCs refused as PERMISSION_DENIED or UNAUTHENTICATED, by method and code",
                     ["method", "code"])

CHECKOUTS = Counter("chaincard_checkouts", "Checkouts approved at a store agent, by store and mode (online/offline)",
                    ["store", "mode"])
CHECKOUT_AMOUNT = Counter("chaincard_checkout_amount_fen", "Total due of approved checkouts in fen, by store and mode",
                          ["store", "mode"])

OUTBOX_PENDING = Gauge("chaincard_outbox_pending_rows", "Outbox rows not yet published to Kafka, by outbox table",
                       ["outbox"])
OUTBOX_LAG = Gauge("chaincard_outbox_relay_lag_seconds", "Age of the oldest unpublished outbox row (0: none), by outbox table",
                   ["outbox"])
OUTBOX_PUBLISHED = Counter("chaincard_outbox_published", "Outbox rows the relay published, by outbox table", ["outbox"])

CONSUMER_LAG = Gauge("chaincard_consumer_lag_records",
                     "Records of the consumer group's assigned partitions not yet applied and committed", ["group"])
CONSUMER_APPLIED = Counter("chaincard_consumer_applied_events", "Events a consumer group applied (duplicates excluded)",
                           ["group"])

STORE_OFFLINE = Gauge("chaincard_store_offline", "1 while the store agent cannot reach its region, else 0", ["store"])
STORE_QUEUED_SALES = Gauge("chaincard_store_queued_sales",
                           "Offline sales (advices) approved by the store agent and not yet accepted by the region", ["store"])

SETTLEMENT_RUNS = Counter("chaincard_settlement_runs", "Settlement runs of a business day, by result (completed/failed)",
                          ["result"])
SETTLEMENT_SECONDS = Histogram("chaincard_settlement_run_seconds", "Duration of a settlement run that computed a day",
                               buckets=SETTLEMENT_BUCKETS)

PIN_LOCKOUTS = Counter("chaincard_pin_lockouts", "Cards whose PIN was locked after repeated wrong attempts, by region",
                       ["region"])

_children_lock = threading.Lock()
_rpc_children: dict[tuple[str, str], tuple[Counter, Histogram, Counter | None]] = {}
_DENIED_CODES = frozenset({"PERMISSION_DENIED", "UNAUTHENTICATED"})


def rpc_children(method: str, code: str) -> tuple[Counter, Histogram, Counter | None]:
    """The (handled counter, latency histogram, denied counter or None) children of one method and code."""
    key = (method, code)
    found = _rpc_children.get(key)
    if found is None:
        with _children_lock:
            found = (RPC_HANDLED.labels(method, code), RPC_SECONDS.labels(method),
                     RPC_DENIED.labels(method, code) if code in _DENIED_CODES else None)
            _rpc_children[key] = found
    return found


def observe_rpc(method: str, code: str, seconds: float) -> None:
    handled, latency, denied = rpc_children(method, code)
    handled.inc()
    latency.observe(seconds)
    if denied is not None:
        denied.inc()


def record_checkout(store_id: str, total_due_fen: int, *, offline: bool) -> None:
    mode = "offline" if offline else "online"
    CHECKOUTS.labels(store_id, mode).inc()
    CHECKOUT_AMOUNT.labels(store_id, mode).inc(total_due_fen)


def gauge_from(gauge: Gauge, label: str, read: Callable[[], float]) -> None:
    """Let ``gauge{label}`` be read at scrape time by ``read`` (a failing read exports NaN, never an error)."""

    def safe_read() -> float:
        try:
            return float(read())
        except Exception:  # noqa: BLE001 - a scrape must answer while a database is away
            return float("nan")

    gauge.labels(label).set_function(safe_read)


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` (port 0: any free one) → (host, port)."""
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise SystemExit(f"metrics_listen must be host:port, got {listen!r}")
    return host.strip("[]"), int(port)


def serve_metrics(listen: str) -> int:
    """Serve ``/metrics`` over HTTP on ``listen`` from a daemon thread; returns the bound port."""
    host, port = parse_listen(listen)
    server, _thread = start_http_server(port, addr=host, registry=REGISTRY)
    return int(server.server_port)
