"""Wires the settlement service: its database, the postings consumer, the runner, the nightly
schedule and the gRPC server."""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events import topics
from chaincard.events.consumer import IdempotentConsumer
from chaincard.rpc.channels import open_channel
from chaincard.rpc.server import RunningServer, build_server
from chaincard.rpc.transport import Transport
from chaincard.security.tokens import SigningKeyStore
from settlement import servicers
from settlement.access import settlement_guard
from settlement.clearing import ClearingIntake
from settlement.handlers import settlement_commands
from settlement.hq import ConfigSource, HqConfigSource
from settlement.manifests import DEFAULT_KEY_DIR_NAME
from settlement.models import ProcessedEvent
from settlement.runs import SettlementRunner
from settlement.scheduler import NightlySettlement, setting

log = logging.getLogger(__name__)

CLEARING_CONSUMER = "settlement-clearing"
# The local chain's data directory is ./.chaincard (``chaincard up``); statements go beside it.
DEFAULT_STATEMENTS_DIR = Path(".chaincard") / "statements"


def statements_dir(settings: Settings) -> Path:
    """``statements_dir`` in the settings file or CHAINCARD_STATEMENTS_DIR; default ./.chaincard/statements."""
    return Path(setting(settings, "statements_dir", str(DEFAULT_STATEMENTS_DIR))).resolve()


def signing_keys(settings: Settings, statements: Path) -> SigningKeyStore:
    """The key signing manifests: ``settlement_signing_key_dir``, or beside the statements directory."""
    if settings.settlement_signing_key_dir:
        return SigningKeyStore(Path(settings.settlement_signing_key_dir).resolve())
    return SigningKeyStore(statements.parent / DEFAULT_KEY_DIR_NAME)


def make_runner(settings: Settings, session_factory: sessionmaker[Session], config: ConfigSource) -> SettlementRunner:
    statements = statements_dir(settings)
    return SettlementRunner(
        session_factory, config,
        statements_dir=statements, time_zone=settings.business_time_zone, cutoff=settings.business_day_cutoff,
        signing_keys=signing_keys(settings, statements),
    )


def start_settlement(settings: Settings) -> RunningServer:
    upgrade_to_head("settlement", settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    transport = Transport.for_service(settings, "settlement")
    config = HqConfigSource(settings.hq_endpoint, deadline_seconds=max(settings.rpc_deadline_seconds, 10.0),
                            transport=transport)
    runner = make_runner(settings, session_factory, config)
    hq_channel = open_channel(settings.hq_endpoint, transport, expected_server="hq")
    running = build_server(settings.listen, [servicers.register(runner, settlement_commands(session_factory))],
                           interceptors=[settlement_guard(settings, session_factory, hq_channel)], transport=transport)
    consumer = IdempotentConsumer(
        name=f"{settings.deployment}.{CLEARING_CONSUMER}",
        bootstrap=settings.kafka_bootstrap,
        topics=[topics.POSTINGS],
        session_factory=session_factory,
        processed_model=ProcessedEvent,
        handle_batch=ClearingIntake(settings.business_time_zone, settings.business_day_cutoff).apply_batch,
    )
    consumer.start()
    nightly = NightlySettlement.from_settings(runner, settings)
    if nightly is not None:
        nightly.start()
    running.on_stop += [engine.dispose, hq_channel.close, consumer.stop, config.close]
    if nightly is not None:
        running.on_stop.append(nightly.stop)
    log.info("settlement serving", extra={"fields": {
        "port": running.port, "statements_dir": str(runner.statements_dir),
        "nightly_at": nightly.nightly_at if nightly else "off"}})
    return running
