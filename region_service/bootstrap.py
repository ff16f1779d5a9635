"""Wires the region together: database, HQ clients, servicers, outbox relay, gRPC server."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.idempotency import purge_answers
from chaincard.db.migrate import upgrade_to_head
from chaincard.events.relay import OutboxRelay
from chaincard.rpc.channels import open_channel
from chaincard.rpc.server import RunningServer, build_server
from chaincard.rpc.transport import Transport
from chaincard.security.authz import PEERS_OF_REGION
from chaincard.security.guard import SnapshotPlaces, SnapshotStaff, hq_token_keys, service_guard
from chaincard.v1 import (
    cards_pb2,
    cards_pb2_grpc,
    companies_pb2,
    companies_pb2_grpc,
    coupon_issue_pb2,
    coupon_issue_pb2_grpc,
    imports_pb2,
    imports_pb2_grpc,
    member_index_pb2_grpc,
    members_pb2,
    members_pb2_grpc,
    program_config_pb2_grpc,
    store_sync_pb2,
    store_sync_pb2_grpc,
    transactions_pb2,
    transactions_pb2_grpc,
)
from chaincard.workers import PeriodicJob
from region_service.balance_feed import BalanceFeedCopier
from region_service.card_directory import CardDirectoryCache
from region_service.company_order_servicer import CompanyOrderServicer
from region_service.context import RegionContext
from region_service.count_pack_expiry import expire_due_packs
from region_service.coupon_batch_servicer import CouponBatchServicer
from region_service.coupons.jobs import run_coupon_jobs
from region_service.greetings import run_greeting_jobs
from region_service.handlers.lifecycle import expire_due_cards
from region_service.import_servicer import RegionImportServicer
from region_service.levels import NightlyReview
from region_service.models import IdempotencyKey, OutboxMessage
from region_service.points_expiry import run_points_jobs
from region_service.program import ProgramCache
from region_service.referral_points import referral_consumer
from region_service.routing import Routing
from region_service.servicers import CardServicer, MemberServicer, TransactionServicer
from region_service.sync_servicer import MAX_BALANCE_SUBSCRIPTIONS, StoreConnectionServicer, StoreSyncServicer

log = logging.getLogger(__name__)

# How often cards past their validity are marked EXPIRED (they are refused at once either way).
EXPIRY_SWEEP_SECONDS = 60.0
# How often due points lots are expired and expiry reminders sent (P3). Lots expire at the chain's
# midnight, so this is the "nightly" job run often: a run with nothing due reads one index.
POINTS_EXPIRY_SWEEP_SECONDS = 300.0
# How often the level review (L2) looks whether a new business day began; it reviews once per day.
LEVEL_REVIEW_CHECK_SECONDS = 600.0
# How often answers to requests past their retention are deleted (request_answer_retention_days).
ANSWER_PURGE_SECONDS = 3600.0
# How often coupons are expired, reminders sent and birthday coupons issued (each exactly once).
COUPON_JOBS_SECONDS = 300.0


def region_relay(settings: Settings, session_factory: sessionmaker[Session]) -> OutboxRelay:
    """The publisher of this region's outbox (in this process, or alone: ``chaincard relay``)."""
    return OutboxRelay(
        session_factory, OutboxMessage, settings.kafka_bootstrap,
        name=f"region-{settings.region_code}", poll_seconds=settings.outbox_poll_seconds,
        retention_hours=settings.outbox_retention_hours, safety_seconds=settings.outbox_safety_seconds,
    )


def start_relay(settings: Settings) -> RunningServer:
    """``chaincard relay``: only the outbox relay of one region, with a gRPC health endpoint (no
    services) so supervisors and `chaincard status` see it like any other process."""
    if not settings.region_code:
        raise SystemExit("the relay needs its region's code (--code)")
    upgrade_to_head("region_service", settings.database_url)
    engine = make_engine(settings.database_url)
    relay = region_relay(settings, make_session_factory(engine)).start()
    running = build_server(settings.listen, [], transport=Transport.for_service(settings, f"region:{settings.region_code}"))
    running.on_stop += [engine.dispose, relay.stop]
    log.info("outbox relay serving", extra={"fields": {"region": settings.region_code, "port": running.port}})
    return running


def start_region(settings: Settings) -> RunningServer:
    if not settings.region_code:
        raise SystemExit("region_service needs a region code (--code)")
    upgrade_to_head("region_service", settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    transport = Transport.for_service(settings, f"region:{settings.region_code}")
    hq_channel = open_channel(settings.hq_endpoint, transport, expected_server="hq")
    ctx = RegionContext(
        settings=settings,
        session_factory=session_factory,
        program=ProgramCache(program_config_pb2_grpc.ProgramConfigServiceStub(hq_channel), max_age_seconds=settings.config_max_age_seconds),
        member_index=member_index_pb2_grpc.MemberIndexServiceStub(hq_channel),
        card_directory=CardDirectoryCache(member_index_pb2_grpc.MemberIndexServiceStub(hq_channel), settings.rpc_deadline_seconds),
        transport=transport,
    )
    guard = service_guard(
        settings, accepted_peers=PEERS_OF_REGION, keys=hq_token_keys(hq_channel, settings),
        directory=SnapshotPlaces(ctx.program.snapshot).directory(), staff_roles=SnapshotStaff(ctx.program.snapshot),
    )
    forwarder = ctx.peers
    routing = Routing(ctx, forwarder)
    running = build_server(
        settings.listen,
        [
            (members_pb2_grpc.add_MemberServiceServicer_to_server, MemberServicer(ctx, routing),
             members_pb2.DESCRIPTOR.services_by_name["MemberService"].full_name),
            (cards_pb2_grpc.add_CardServiceServicer_to_server, CardServicer(ctx, routing),
             cards_pb2.DESCRIPTOR.services_by_name["CardService"].full_name),
            (transactions_pb2_grpc.add_TransactionServiceServicer_to_server, TransactionServicer(ctx, routing),
             transactions_pb2.DESCRIPTOR.services_by_name["TransactionService"].full_name),
            (store_sync_pb2_grpc.add_StoreSyncServiceServicer_to_server, StoreSyncServicer(ctx, forwarder),
             store_sync_pb2.DESCRIPTOR.services_by_name["StoreSyncService"].full_name),
            (store_sync_pb2_grpc.add_StoreConnectionServiceServicer_to_server, StoreConnectionServicer(ctx),
             store_sync_pb2.DESCRIPTOR.services_by_name["StoreConnectionService"].full_name),
            (coupon_issue_pb2_grpc.add_CouponBatchServiceServicer_to_server, CouponBatchServicer(ctx),
             coupon_issue_pb2.DESCRIPTOR.services_by_name["CouponBatchService"].full_name),
            (companies_pb2_grpc.add_CompanyOrderServiceServicer_to_server, CompanyOrderServicer(ctx),
             companies_pb2.DESCRIPTOR.services_by_name["CompanyOrderService"].full_name),
            (imports_pb2_grpc.add_RegionImportServiceServicer_to_server, RegionImportServicer(ctx),
             imports_pb2.DESCRIPTOR.services_by_name["RegionImportService"].full_name),
        ],
        interceptors=[guard],
        transport=transport,
        # The stores' balance subscriptions each hold a thread; the other calls keep their 32.
        max_workers=32 + MAX_BALANCE_SUBSCRIPTIONS,
    )
    expiry = PeriodicJob("card-expiry", EXPIRY_SWEEP_SECONDS, lambda: expire_due_cards(ctx)).start()
    points_expiry = PeriodicJob("points-expiry", POINTS_EXPIRY_SWEEP_SECONDS, lambda: run_points_jobs(ctx)).start()
    # Count-use packs past their expiry (docs/adr/0030), as often as the points lots.
    pack_expiry = PeriodicJob("count-pack-expiry", POINTS_EXPIRY_SWEEP_SECONDS, lambda: expire_due_packs(ctx)).start()
    coupon_jobs = PeriodicJob("coupon-jobs", COUPON_JOBS_SECONDS, lambda: run_coupon_jobs(ctx)).start()
    # Member-date greetings and count-use reminders, once each however often they run (docs/adr/0056).
    greeting_jobs = PeriodicJob("greeting-jobs", COUPON_JOBS_SECONDS, lambda: run_greeting_jobs(ctx)).start()
    level_review = PeriodicJob("level-review", LEVEL_REVIEW_CHECK_SECONDS, NightlyReview(ctx)).start()
    answer_retention = timedelta(days=settings.request_answer_retention_days)
    answer_purge = PeriodicJob("request-answer-purge", ANSWER_PURGE_SECONDS,
                               lambda: purge_answers(session_factory, IdempotencyKey, utc_now() - answer_retention)).start()
    feed = BalanceFeedCopier(session_factory).start()
    # The region's one consumer: its members' referral awards, wherever the referee is (docs/adr/0044).
    referrals = referral_consumer(ctx).start()
    running.on_stop += [engine.dispose, hq_channel.close, forwarder.close, expiry.stop, points_expiry.stop, pack_expiry.stop, coupon_jobs.stop,
                        greeting_jobs.stop,
                        level_review.stop, answer_purge.stop, feed.stop, referrals.stop]
    if settings.relay_in_process:
        running.on_stop.append(region_relay(settings, session_factory).start().stop)
    log.info("region serving", extra={"fields": {"region": settings.region_code, "port": running.port}})
    return running
