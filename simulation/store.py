"""A store agent in the simulation: the production objects ``store_agent.bootstrap`` wires, over
its own SQLite file, calling its region through the simulated network. Its background threads are
not started: the scheduler runs their steps (the forwarder's, the link probe, the card refresh).
A crash drops every object; a restart builds them again on the same file (what a power cut keeps)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.v1 import store_sync_pb2_grpc, transactions_pb2_grpc
from simulation.network import Network
from store_agent.card_cache import CardCache
from store_agent.card_refresh import CardRefresher
from store_agent.config_sync import ConfigPuller, StoreConfig
from store_agent.forwarder import AdviceForwarder
from store_agent.journal import RequestJournal
from store_agent.offline import OfflineStandIn
from store_agent.region_link import LinkMonitor, RegionLink
from store_agent.servicers import StoreTransactionServicer

DEADLINE_SECONDS = 5.0
CARD_REFRESH_AGE_SECONDS = 300.0


class Store:
    def __init__(self, store_id: str, region_code: str, database: Path, network: Network) -> None:
        self.store_id, self.region_code, self.database, self.network = store_id, region_code, database, network
        self.engine: Engine | None = None
        self.start()

    def start(self) -> None:
        self.engine = make_engine(f"sqlite:///{self.database}")
        session_factory = make_session_factory(self.engine)
        self.session_factory = session_factory
        channel = self.network.channel(self.store_id, self.region_code)
        self.monitor = LinkMonitor(channel)  # type: ignore[arg-type]  # the simulated channel
        cache = CardCache(session_factory)
        config = StoreConfig(self.store_id, session_factory)
        self.journal = RequestJournal(session_factory)
        link = RegionLink(self.journal, deadline=DEADLINE_SECONDS, monitor=self.monitor, observe=cache.observe)
        sync = store_sync_pb2_grpc.StoreSyncServiceStub(channel)
        self.forwarder = AdviceForwarder(self.store_id, session_factory, sync, self.monitor, cache, deadline=DEADLINE_SECONDS)
        self.refresher = CardRefresher(self.store_id, sync, self.monitor, cache, deadline=DEADLINE_SECONDS,
                                       age_seconds=CARD_REFRESH_AGE_SECONDS)
        self.config_pull = ConfigPuller(config, sync, self.monitor, deadline=DEADLINE_SECONDS)
        stand_in = OfflineStandIn(self.store_id, session_factory, config, Settings(store_id=self.store_id))
        self.transactions = StoreTransactionServicer(
            self.store_id, link, transactions_pb2_grpc.TransactionServiceStub(channel), stand_in=stand_in,
            forwarder=self.forwarder)
        self.config_pull.pull_once()  # as the agent does before it serves

    def crash(self) -> None:
        """Everything in memory is gone; the SQLite file keeps what was committed."""
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def restart(self) -> None:
        self.crash()
        self.start()
