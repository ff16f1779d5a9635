"""Wires HQ together: database, servicers, event consumers, gRPC server."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from types import ModuleType

from google.protobuf.descriptor import FileDescriptor

from chaincard.commands import CommandRunner
from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events import topics
from chaincard.events.consumer import BatchEventHandler, IdempotentConsumer, each_event
from chaincard.notifications.quiet_hours import QuietHours
from chaincard.rpc.server import RunningServer, ServiceRegistration, build_server
from chaincard.rpc.transport import Transport
from chaincard.security.authz import PEERS_OF_HQ
from chaincard.security.guard import service_guard
from chaincard.security.tokens import SigningKeyStore
from chaincard.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    campaigns_pb2,
    campaigns_pb2_grpc,
    commission_pb2,
    commission_pb2_grpc,
    companies_pb2,
    companies_pb2_grpc,
    coupon_issue_pb2,
    coupon_issue_pb2_grpc,
    directory_pb2,
    directory_pb2_grpc,
    event_pipeline_pb2,
    event_pipeline_pb2_grpc,
    imports_pb2,
    imports_pb2_grpc,
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
    segments_pb2,
    segments_pb2_grpc,
)
from chaincard.workers import PeriodicJob, Worker
from hq_service import commission, manager_digest, rfm
from hq_service.audit_log import AuditCollector, refusal_recorder
from hq_service.audit_query import AuditServicer
from hq_service.bulk_issue_servicer import BulkCouponIssueServicer
from hq_service.bulk_issue_worker import WORKERS as BULK_ISSUE_WORKERS
from hq_service.bulk_issue_worker import BulkIssueWorker, RegionCouponBatches
from hq_service.campaign_sender import CampaignSender
from hq_service.campaign_service import CampaignServicer
from hq_service.company_recharge_worker import CompanyRechargeWorker, RegionCompanyOrders
from hq_service.company_servicer import CompanyServicer
from hq_service.event_pipeline import EventPipelineServicer
from hq_service.import_servicer import ImportServicer, RegionImports
from hq_service.models import ProcessedEvent
from hq_service.notice_contacts import RegionContacts
from hq_service.notices import NoticeDispatcher, NoticePlanner, default_channels
from hq_service.operator_models import OperatorRequest
from hq_service.operators import OperatorContext, hq_directory, local_key_source, mask_passwords
from hq_service.phone_claims import SWEEP_SECONDS, RegionMembers, release_abandoned_claims
from hq_service.read_models import ReadModelProjector
from hq_service.region_channels import RegionChannels
from hq_service.segment_service import SegmentServicer
from hq_service.servicers import (
    CommissionServicer,
    DirectoryServicer,
    MemberIndexServicer,
    MemberViewServicer,
    OperatorServicer,
    ProgramConfigServicer,
    ReportServicer,
)
from hq_service.unit_of_work import HqUnitOfWork

log = logging.getLogger(__name__)

READ_MODEL_CONSUMER = "hq-read-models"
NOTIFICATIONS_CONSUMER = "hq-notifications"
AUDIT_CONSUMER = "hq-audit"


def _name(module: ModuleType, service: str) -> str:
    """The full name of ``service`` declared in the generated ``module`` (a *_pb2)."""
    descriptor: FileDescriptor = module.DESCRIPTOR
    return descriptor.services_by_name[service].full_name


def hq_commands(operators: OperatorContext) -> CommandRunner[HqUnitOfWork]:
    """HQ's one command pipeline: every write of the directory, the program configuration, the
    card directory and the operators runs through it. Its key table is ``operator_requests``
    (hq_service.operator_models.OperatorRequest); passwords are digested before fingerprinting."""
    return CommandRunner(operators.session_factory, OperatorRequest, lambda session: HqUnitOfWork(session, operators),
                         mask_secrets=mask_passwords)


def _request_stop(workers: list[Worker]) -> None:
    for worker in workers:
        worker.request_stop()


def start_hq(settings: Settings) -> RunningServer:
    upgrade_to_head("hq_service", settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    operators = OperatorContext(session_factory, SigningKeyStore(Path(settings.hq_signing_key_dir)))
    commands = hq_commands(operators)
    transport = Transport.for_service(settings, "hq")
    # One channel per region, shared by everything at HQ that calls a region.
    region_channels = RegionChannels(session_factory, transport)
    region_imports = RegionImports(region_channels)
    services: list[ServiceRegistration] = [
        (directory_pb2_grpc.add_DirectoryServiceServicer_to_server, DirectoryServicer(session_factory, commands),
         _name(directory_pb2, "DirectoryService")),
        (program_config_pb2_grpc.add_ProgramConfigServiceServicer_to_server, ProgramConfigServicer(session_factory, commands),
         _name(program_config_pb2, "ProgramConfigService")),
        (member_index_pb2_grpc.add_MemberIndexServiceServicer_to_server, MemberIndexServicer(session_factory, commands),
         _name(member_index_pb2, "MemberIndexService")),
        (member_view_pb2_grpc.add_MemberViewServiceServicer_to_server,
         MemberViewServicer(session_factory, settings.phone_hmac_key, settings.business_time_zone), _name(member_view_pb2, "MemberViewService")),
        (reports_pb2_grpc.add_ReportServiceServicer_to_server, ReportServicer(session_factory, settings),
         _name(reports_pb2, "ReportService")),
        (audit_pb2_grpc.add_AuditServiceServicer_to_server, AuditServicer(session_factory),
         _name(audit_pb2, "AuditService")),
        (operators_pb2_grpc.add_OperatorServiceServicer_to_server, OperatorServicer(operators, commands),
         _name(operators_pb2, "OperatorService")),
        (commission_pb2_grpc.add_CommissionServiceServicer_to_server, CommissionServicer(session_factory, settings),
         _name(commission_pb2, "CommissionService")),
        (coupon_issue_pb2_grpc.add_BulkCouponIssueServiceServicer_to_server,
         BulkCouponIssueServicer(session_factory, commands), _name(coupon_issue_pb2, "BulkCouponIssueService")),
        (companies_pb2_grpc.add_CompanyServiceServicer_to_server, CompanyServicer(session_factory, commands, RegionCompanyOrders(region_channels).void_line),
         _name(companies_pb2, "CompanyService")),
        (imports_pb2_grpc.add_ImportServiceServicer_to_server,
         ImportServicer(session_factory, region_imports, settings.phone_hmac_key), _name(imports_pb2, "ImportService")),
        (segments_pb2_grpc.add_SegmentServiceServicer_to_server, SegmentServicer(session_factory, commands, settings),
         _name(segments_pb2, "SegmentService")),
        (campaigns_pb2_grpc.add_CampaignServiceServicer_to_server, CampaignServicer(session_factory, commands, settings),
         _name(campaigns_pb2, "CampaignService")),
        (event_pipeline_pb2_grpc.add_EventPipelineServiceServicer_to_server, EventPipelineServicer(session_factory, settings),
         _name(event_pipeline_pb2, "EventPipelineService")),
    ]
    guard = service_guard(settings, accepted_peers=PEERS_OF_HQ, keys=local_key_source(operators),
                          directory=hq_directory(session_factory), on_denied=refusal_recorder(session_factory))
    running = build_server(settings.listen, services, interceptors=[guard], transport=transport)
    def consumer(group: str, group_topics: list[str], handle_batch: BatchEventHandler) -> IdempotentConsumer:
        return IdempotentConsumer(name=f"{settings.deployment}.{group}", bootstrap=settings.kafka_bootstrap,
                                  topics=group_topics, session_factory=session_factory, processed_model=ProcessedEvent,
                                  handle_batch=handle_batch).start()

    # Two consumer groups: a slow notice channel never delays the read models, and each group's lag
    # shows in `chaincard status`.
    read_models = consumer(READ_MODEL_CONSUMER, [topics.MEMBERS, topics.CARDS, topics.POSTINGS],
                           ReadModelProjector(settings).apply_batch)
    notices = consumer(NOTIFICATIONS_CONSUMER, [topics.CARDS, topics.POSTINGS], each_event(NoticePlanner(settings).apply))
    # The audit log's own group: it never waits for the read models or the notices.
    audit = consumer(AUDIT_CONSUMER, [topics.AUDIT], each_event(AuditCollector().apply))
    # Notices fetch each address from the member's home region at send time (docs/adr/0053).
    notice_contacts = RegionContacts(region_channels)
    dispatcher = NoticeDispatcher(session_factory, default_channels(settings, notice_contacts)).start()
    region_members = RegionMembers(region_channels)
    claim_sweep = PeriodicJob("phone-claim-sweep", SWEEP_SECONDS,
                              lambda: release_abandoned_claims(session_factory, region_members)).start()
    # Bulk coupon issues: each job's cards to their home regions, a chunk at a time (docs/adr/0024).
    coupon_batches = RegionCouponBatches(region_channels)
    bulk_issue = [BulkIssueWorker(session_factory, coupon_batches, name=f"bulk-coupon-issue-{index}").start()
                  for index in range(BULK_ISSUE_WORKERS)]
    # Companies' bulk recharges: each job's chunk to each home region (docs/adr/0045).
    company_orders = RegionCompanyOrders(region_channels)
    company_recharge = CompanyRechargeWorker(session_factory, company_orders).start()
    # Staff commission: each ended business day once, a grace period after the cut-off (docs/adr/0043).
    nightly_commission = PeriodicJob("nightly-commission", commission.CHECK_EVERY_SECONDS,
                                     lambda: commission.run_due(session_factory, settings)).start()
    # RFM scores of the ended business day, then every saved segment's size (docs/adr/0058).
    nightly_rfm = PeriodicJob("nightly-rfm", rfm.CHECK_EVERY_SECONDS, lambda: rfm.run_due(session_factory, settings)).start()
    # Campaigns: due ones started, their notices queued a chunk at a time (docs/adr/0055).
    campaign_sender = CampaignSender(session_factory, QuietHours.parse(settings.notification_quiet_hours,
                                                                       settings.business_time_zone)).start()
    # Store managers' digest of the previous business day, each morning, once (docs/adr/0056).
    digests = PeriodicJob("manager-digest", manager_digest.CHECK_EVERY_SECONDS,
                          lambda: manager_digest.run_due(session_factory, settings)).start()
    workers = [read_models, notices, audit, dispatcher, claim_sweep, nightly_commission, nightly_rfm, *bulk_issue,
               company_recharge, campaign_sender, digests]
    running.on_stop += [engine.dispose, read_models.stop, notices.stop, audit.stop, dispatcher.stop, claim_sweep.stop,
                        nightly_commission.stop, nightly_rfm.stop, digests.stop,
                        *(worker.stop for worker in bulk_issue),
                        company_recharge.stop, campaign_sender.stop,
                        region_channels.close,
                        # Run first (on_stop runs last to first): every worker winds down at once,
                        # then the stops above wait for each in turn.
                        partial(_request_stop, workers)]
    log.info("hq serving", extra={"fields": {"port": running.port}})
    return running
