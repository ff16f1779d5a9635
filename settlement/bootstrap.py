"""Wires the settlement service: its database, the postings consumer, the gRPC server."""

from __future__ import annotations

import logging

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events import topics
from chaincard.events.consumer import IdempotentConsumer
from chaincard.rpc.server import RunningServer, build_server
from chaincard.v1 import settlement_pb2, settlement_pb2_grpc
from settlement.clearing import record_posting
from settlement.models import ProcessedEvent

log = logging.getLogger(__name__)

CLEARING_CONSUMER = "settlement-clearing"


def start_settlement(settings: Settings) -> RunningServer:
    upgrade_to_head("settlement", settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    running = build_server(
        settings.listen,
        [
            # Statements and runs come with the settlement issue; the base answers UNIMPLEMENTED.
            (settlement_pb2_grpc.add_SettlementServiceServicer_to_server, settlement_pb2_grpc.SettlementServiceServicer(),
             settlement_pb2.DESCRIPTOR.services_by_name["SettlementService"].full_name),
        ],
    )
    consumer = IdempotentConsumer(
        name=f"{settings.deployment}.{CLEARING_CONSUMER}",
        bootstrap=settings.kafka_bootstrap,
        topics=[topics.POSTINGS],
        session_factory=session_factory,
        processed_model=ProcessedEvent,
        handle=record_posting,
    )
    consumer.start()
    running.on_stop += [engine.dispose, consumer.stop]
    log.info("settlement serving", extra={"fields": {"port": running.port}})
    return running
