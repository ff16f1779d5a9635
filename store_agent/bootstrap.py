"""Wires a store agent together: its SQLite, the link to its region, the POS-facing gRPC server."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import make_url

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.rpc.channels import open_channel
from chaincard.rpc.server import RunningServer, build_server
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    store_agent_pb2,
    store_agent_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from store_agent.journal import RequestJournal
from store_agent.region_link import RegionLink
from store_agent.servicers import StoreCardServicer, StoreMemberServicer, StoreTransactionServicer

log = logging.getLogger(__name__)


def _service_name(module, service: str) -> str:  # type: ignore[no-untyped-def]
    return module.DESCRIPTOR.services_by_name[service].full_name


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
    journal = RequestJournal(make_session_factory(engine))
    link = RegionLink(journal, deadline=settings.rpc_deadline_seconds)
    channel = open_channel(settings.region_endpoint)
    store_id = settings.store_id
    running = build_server(
        settings.listen,
        [
            (members_pb2_grpc.add_MemberServiceServicer_to_server,
             StoreMemberServicer(store_id, link, members_pb2_grpc.MemberServiceStub(channel)),
             _service_name(members_pb2, "MemberService")),
            (cards_pb2_grpc.add_CardServiceServicer_to_server,
             StoreCardServicer(store_id, link, cards_pb2_grpc.CardServiceStub(channel)),
             _service_name(cards_pb2, "CardService")),
            (transactions_pb2_grpc.add_TransactionServiceServicer_to_server,
             StoreTransactionServicer(store_id, link, transactions_pb2_grpc.TransactionServiceStub(channel)),
             _service_name(transactions_pb2, "TransactionService")),
            # Store status and offline queue come with the store agent issue.
            (store_agent_pb2_grpc.add_StoreAgentServiceServicer_to_server, store_agent_pb2_grpc.StoreAgentServiceServicer(),
             _service_name(store_agent_pb2, "StoreAgentService")),
        ],
    )
    running.on_stop += [engine.dispose, channel.close]
    log.info("store agent serving", extra={"fields": {"store": store_id, "port": running.port}})
    return running
