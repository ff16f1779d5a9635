"""Wires HQ together: database, servicers, event consumers, gRPC server."""

from __future__ import annotations

import logging

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events import topics
from chaincard.events.consumer import IdempotentConsumer
from chaincard.rpc.server import RunningServer, ServiceRegistration, build_server
from chaincard.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    directory_pb2,
    directory_pb2_grpc,
    member_index_pb2,
    member_index_pb2_grpc,
    member_view_pb2,
    member_view_pb2_grpc,
    operators_pb2,
    operators_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
)
from hq_service.models import ProcessedEvent
from hq_service.notices import NoticeDispatcher, NoticePlanner, default_channels
from hq_service.read_models import ReadModelProjector
from hq_service.servicers import (
    DirectoryServicer,
    MemberIndexServicer,
    MemberViewServicer,
    ProgramConfigServicer,
    ReportServicer,
)

log = logging.getLogger(__name__)

READ_MODEL_CONSUMER = "hq-read-models"
NOTIFICATIONS_CONSUMER = "hq-notifications"


def _name(module, service: str) -> str:  # type: ignore[no-untyped-def]
    return module.DESCRIPTOR.services_by_name[service].full_name


def start_hq(settings: Settings) -> RunningServer:
    upgrade_to_head("hq_service", settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    services: list[ServiceRegistration] = [
        (directory_pb2_grpc.add_DirectoryServiceServicer_to_server, DirectoryServicer(session_factory),
         _name(directory_pb2, "DirectoryService")),
        (program_config_pb2_grpc.add_ProgramConfigServiceServicer_to_server, ProgramConfigServicer(session_factory),
         _name(program_config_pb2, "ProgramConfigService")),
        (member_index_pb2_grpc.add_MemberIndexServiceServicer_to_server, MemberIndexServicer(session_factory),
         _name(member_index_pb2, "MemberIndexService")),
        (member_view_pb2_grpc.add_MemberViewServiceServicer_to_server,
         MemberViewServicer(session_factory, settings.phone_hmac_key), _name(member_view_pb2, "MemberViewService")),
        (reports_pb2_grpc.add_ReportServiceServicer_to_server, ReportServicer(session_factory, settings),
         _name(reports_pb2, "ReportService")),
        # Served by later issues; the generated bases answer UNIMPLEMENTED so integrators see the whole API.
        (audit_pb2_grpc.add_AuditServiceServicer_to_server, audit_pb2_grpc.AuditServiceServicer(),
         _name(audit_pb2, "AuditService")),
        (operators_pb2_grpc.add_OperatorServiceServicer_to_server, operators_pb2_grpc.OperatorServiceServicer(),
         _name(operators_pb2, "OperatorService")),
    ]
    running = build_server(settings.listen, services)
    # Two consumer groups: a slow notice channel never delays the read models, and each group's lag
    # shows in `chaincard status`.
    read_models = IdempotentConsumer(
        name=f"{settings.deployment}.{READ_MODEL_CONSUMER}",
        bootstrap=settings.kafka_bootstrap,
        topics=[topics.MEMBERS, topics.CARDS, topics.POSTINGS],
        session_factory=session_factory,
        processed_model=ProcessedEvent,
        handle=ReadModelProjector(settings).apply,
    ).start()
    notices = IdempotentConsumer(
        name=f"{settings.deployment}.{NOTIFICATIONS_CONSUMER}",
        bootstrap=settings.kafka_bootstrap,
        topics=[topics.CARDS, topics.POSTINGS],
        session_factory=session_factory,
        processed_model=ProcessedEvent,
        handle=NoticePlanner(settings).apply,
    ).start()
    dispatcher = NoticeDispatcher(session_factory, default_channels(settings)).start()
    running.on_stop += [engine.dispose, read_models.stop, notices.stop, dispatcher.stop]
    log.info("hq serving", extra={"fields": {"port": running.port}})
    return running
