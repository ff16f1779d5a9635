"""Wires a store agent together: its SQLite, the link to its region, the POS-facing gRPC server, and
the background jobs of the offline stand-in (configuration pulls, card cache refreshes, the region's
push of the cached cards' balances, the link probe and the advice forwarder)."""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.observability import metrics
from chaincard.rpc.endpoints import balanced_channel, parse_endpoints
from chaincard.rpc.server import RunningServer, build_server
from chaincard.rpc.transport import Transport
from chaincard.security.authz import PEERS_OF_STORE_AGENT
from chaincard.security.guard import SnapshotPlaces, SnapshotStaff, hq_token_keys, service_guard
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    store_agent_pb2,
    store_agent_pb2_grpc,
    store_sync_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from chaincard.workers import PeriodicJob
from store_agent import queries
from store_agent.balance_push import BalanceSubscriber
from store_agent.card_cache import CardCache
from store_agent.card_refresh import CardRefresher
from store_agent.config_sync import DEFAULT_POLL_SECONDS, ConfigPuller, StoreConfig
from store_agent.forwarder import AdviceForwarder
from store_agent.journal import RequestJournal
from store_agent.offline import OfflineStandIn
from store_agent.region_link import LinkMonitor, RegionLink
from store_agent.servicers import (
    StoreAgentServicer,
    StoreCardServicer,
    StoreMemberServicer,
    StoreTransactionServicer,
)

log = logging.getLogger(__name__)

# Knobs of the offline stand-in, from the TOML file's extra keys or CHAINCARD_STORE_<NAME> (seconds).
KNOBS = {
    "config_poll_seconds": DEFAULT_POLL_SECONDS,  # a change at HQ reaches the store within a minute
    "card_refresh_seconds": 30.0,  # how often cards due for a refresh are asked for
    "card_refresh_age_seconds": 300.0,  # a cached card described longer ago than this is due
    "link_probe_seconds": 1.0,  # while offline, how often the region's health is asked
    "forward_idle_seconds": 1.0,  # how long the forwarder sleeps when it has nothing to do
    "journal_retention_days": 7.0,  # answered requests (with any personal data in them) are then deleted
}
JOURNAL_SWEEP_SECONDS = 3600.0
# Reconnect quickly once the region is back (gRPC's default backoff grows to two minutes).
_CHANNEL_OPTIONS = [
    ("grpc.enable_retries", 1),
    ("grpc.service_config", json.dumps({"methodConfig": [{"name": [{}], "retryPolicy": {
        "maxAttempts": 3, "initialBackoff": "0.1s", "maxBackoff": "0.5s", "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"]}}]})),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 250),
    ("grpc.max_reconnect_backoff_ms", 2_000),
]


def knob(settings: Settings, name: str) -> float:
    raw: Any = os.environ.get(f"CHAINCARD_STORE_{name.upper()}") or settings.extra.get(name)
    return float(raw) if raw not in (None, "") else KNOBS[name]


def queued_sales(session_factory: sessionmaker[Session]) -> int:
    """Offline sales waiting for the region (read when Prometheus scrapes)."""
    with session_factory() as session:
        return queries.offline_queue(session).depth


def _service_name(module: ModuleType, service: str) -> str:
    """The full name of ``service`` in a generated ``*_pb2`` module."""
    name: str = module.DESCRIPTOR.services_by_name[service].full_name
    return name


def start_store(settings: Settings) -> RunningServer:
    if not settings.store_id:
        raise SystemExit("store_agent needs a store id (--id)")
    if not settings.region_endpoint:
        raise SystemExit("store_agent needs its region's endpoint (--region)")
    database_url = settings.database_url or f"sqlite:///store-{settings.store_id}.sqlite"
    database_path = make_url(database_url).database
    if database_path:
        Path(database_path).parent.mkdir(parents=True, exist_ok=True)
    upgrade_to_head("store_agent", database_url)
    engine = make_engine(database_url)
    session_factory = make_session_factory(engine)
    store_id = settings.store_id
    transport = Transport.for_service(settings, f"store:{store_id}")
    # Every replica of the region (a comma-separated list, or one DNS name), balanced round robin:
    # the agent stays online while one replica dies (docs/adr/0054).
    try:
        channel = balanced_channel(parse_endpoints(settings.region_endpoint), transport, options=_CHANNEL_OPTIONS)
    except ValueError as error:
        raise SystemExit(f"--region: {error}") from error
    # Only to verify operator tokens (a store manager's tool); tills authenticate by certificate.
    hq_channel = transport.channel(settings.hq_endpoint, expected_server="hq", options=_CHANNEL_OPTIONS)
    monitor = LinkMonitor(channel, probe_interval=knob(settings, "link_probe_seconds"))
    cache = CardCache(session_factory)
    config = StoreConfig(store_id, session_factory)
    journal = RequestJournal(session_factory)
    link = RegionLink(journal, deadline=settings.rpc_deadline_seconds, monitor=monitor, observe=cache.observe)
    sync = store_sync_pb2_grpc.StoreSyncServiceStub(channel)
    forwarder = AdviceForwarder(
        store_id, session_factory, sync, monitor, cache, deadline=settings.rpc_deadline_seconds,
        idle_seconds=knob(settings, "forward_idle_seconds"),
    )
    stand_in = OfflineStandIn(store_id, session_factory, config, settings)
    region_transactions = transactions_pb2_grpc.TransactionServiceStub(channel)

    refresher = CardRefresher(store_id, sync, monitor, cache, deadline=settings.rpc_deadline_seconds,
                              age_seconds=knob(settings, "card_refresh_age_seconds"))
    config_pull = ConfigPuller(config, sync, monitor, deadline=settings.rpc_deadline_seconds,
                               interval_seconds=knob(settings, "config_poll_seconds"))
    config_pull.pull_once()  # before serving: an agent that starts offline keeps the snapshot it has
    guard = service_guard(
        settings, accepted_peers=PEERS_OF_STORE_AGENT, keys=hq_token_keys(hq_channel, settings),
        directory=SnapshotPlaces(config.snapshot).directory(), local_store=store_id,
        staff_roles=SnapshotStaff(config.snapshot),
    )
    running = build_server(
        settings.listen,
        [
            (members_pb2_grpc.add_MemberServiceServicer_to_server,
             StoreMemberServicer(store_id, link, members_pb2_grpc.MemberServiceStub(channel), stand_in=stand_in),
             _service_name(members_pb2, "MemberService")),
            (cards_pb2_grpc.add_CardServiceServicer_to_server,
             StoreCardServicer(store_id, link, cards_pb2_grpc.CardServiceStub(channel), cache),
             _service_name(cards_pb2, "CardService")),
            (transactions_pb2_grpc.add_TransactionServiceServicer_to_server,
             StoreTransactionServicer(store_id, link, region_transactions, stand_in=stand_in, forwarder=forwarder),
             _service_name(transactions_pb2, "TransactionService")),
            (store_agent_pb2_grpc.add_StoreAgentServiceServicer_to_server,
             StoreAgentServicer(store_id, link, config, cache, region_transactions, business_day=stand_in.business_day),
             _service_name(store_agent_pb2, "StoreAgentService")),
        ],
        interceptors=[guard],
        transport=transport,
    )
    def own_region() -> str:
        store = config.store()
        return store.region_code if store is not None else ""

    pushed = BalanceSubscriber(store_id, sync, monitor, cache, refresher.refresh, own_region=own_region)
    monitor.start()
    forwarder.start()
    pushed.start()
    jobs = [
        config_pull.start(),
        PeriodicJob("card-refresh", knob(settings, "card_refresh_seconds"), refresher.refresh_due).start(),
        PeriodicJob("journal-retention", JOURNAL_SWEEP_SECONDS, lambda: journal.forget_answered(
            timedelta(days=knob(settings, "journal_retention_days")))).start(),
    ]
    running.on_stop += [engine.dispose, channel.close, hq_channel.close, monitor.stop, forwarder.stop, pushed.stop, *(job.stop for job in jobs)]
    metrics.gauge_from(metrics.STORE_OFFLINE, store_id, lambda: 0 if monitor.online else 1)
    metrics.gauge_from(metrics.STORE_QUEUED_SALES, store_id, lambda: queued_sales(session_factory))
    log.info("store agent serving", extra={"fields": {"store": store_id, "port": running.port, "config_version": config.version}})
    return running
