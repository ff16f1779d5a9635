"""The simulated chain's fixed parts: HQ's configuration snapshot (the demo chain's directory and
program, plus a bearer card type, so a card is opened without HQ's member index) and the regions,
each the production servicers over its own PostgreSQL database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.local import demo_data
from chaincard.v1 import (
    cards_pb2_grpc,
    member_index_pb2_grpc,
    program_config_pb2,
    store_sync_pb2_grpc,
    transactions_pb2_grpc,
)
from region_service.card_directory import CardDirectoryCache
from region_service.context import RegionContext
from region_service.forwarding import Forwarder
from region_service.program import ProgramCache
from region_service.routing import Routing
from region_service.servicers import CardServicer, TransactionServicer
from region_service.sync_servicer import StoreSyncServicer
from simulation.network import Network, Node

# A bearer stored-value card: opened without a member (so without HQ's member index) and without a PIN.
CARD_TYPE = "SIMGIFT"
STORE_OF_REGION = {"E": "S-E-001", "W": "S-W-001"}
OFFLINE_LIMITS = program_config_pb2.OfflineLimits(
    card_daily_limit_fen=20_000, store_exposure_limit_fen=500_000, pinless_limit_fen=10_000,
    card_cache_max_age_seconds=86_400)


def config_snapshot() -> program_config_pb2.ConfigSnapshot:
    snapshot = program_config_pb2.ConfigSnapshot(
        version=1, regions=demo_data.REGIONS, franchisees=demo_data.FRANCHISEES, stores=demo_data.STORES,
        card_types=[*demo_data.CARD_TYPES, program_config_pb2.CardType(
            code=CARD_TYPE, name="Gift card", kind_description="stored value", stored_value=True, anonymous=True)],
        levels=demo_data.LEVELS, count_items=demo_data.COUNT_ITEMS, offline_limits=OFFLINE_LIMITS,
        settings=program_config_pb2.ChainSettings(chain_name="Sim", business_time_zone="Asia/Shanghai",
                                                  business_day_cutoff="04:00"),
    )
    return snapshot


class FixedProgram:
    """HQ's ProgramConfigService as the region's ProgramCache calls it: always this snapshot."""

    def __init__(self, snapshot: program_config_pb2.ConfigSnapshot) -> None:
        self.answer = program_config_pb2.GetConfigSnapshotResponse(snapshot=snapshot)

    def GetConfigSnapshot(self, request: Any, timeout: float | None = None) -> Any:  # noqa: N802 - the stub's name
        return self.answer


def _no_commit_flush(dbapi_connection: Any, _record: Any) -> None:
    """Commits do not wait for the WAL flush: the simulation never crashes PostgreSQL itself (a
    region's crash is its process's), and on a machine shared by many, the flush was most of a
    seed's time. What a transaction sees and commits is unchanged."""
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")


class Region:
    """One region: a database for the whole run, a process (context, caches, servicers) per start."""

    def __init__(self, code: str, database_url: str, snapshot: program_config_pb2.ConfigSnapshot) -> None:
        self.code = code
        self.engine: Engine = make_engine(database_url)
        event.listen(self.engine, "connect", _no_commit_flush)
        self.session_factory = make_session_factory(self.engine)
        self.snapshot = snapshot
        self.node = Node(code)

    def start(self, network: Network) -> None:
        """A (re)start on ``network``: new caches, the same database; served there as node ``code``."""
        hq = network.channel(self.code, "HQ")  # not simulated: a physical card's look-up fails UNAVAILABLE
        ctx = RegionContext(
            settings=Settings(region_code=self.code, insecure=True),
            session_factory=self.session_factory,
            program=ProgramCache(FixedProgram(self.snapshot), max_age_seconds=3600.0),  # type: ignore[arg-type]
            member_index=member_index_pb2_grpc.MemberIndexServiceStub(hq),
            card_directory=CardDirectoryCache(member_index_pb2_grpc.MemberIndexServiceStub(hq), 5.0),
        )
        forwarder = Forwarder(ctx, open_peer=lambda other: network.channel(self.code, other))  # type: ignore[arg-type,return-value]
        ctx.peers = forwarder  # what the handlers reach through ctx.peers: the same simulated links
        routing = Routing(ctx, forwarder)
        self.node.serve([
            (cards_pb2_grpc.add_CardServiceServicer_to_server, CardServicer(ctx, routing)),
            (transactions_pb2_grpc.add_TransactionServiceServicer_to_server, TransactionServicer(ctx, routing)),
            (store_sync_pb2_grpc.add_StoreSyncServiceServicer_to_server, StoreSyncServicer(ctx, forwarder)),
        ])
        self.node.up = True
        network.nodes[self.code] = self.node

    def close(self) -> None:
        self.engine.dispose()
