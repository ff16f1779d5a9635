"""Wires the settlement service: its database, the postings consumer, the runner, the nightly
schedule and the gRPC server."""

from __future__ import annotations

import logging
from pathlib import Path

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.events import topics
from chaincard.events.consumer import IdempotentConsumer
from chaincard.rpc.server import RunningServer, build_server
from settlement import servicers
from settlement.clearing import ClearingIntake
from settlement.hq import HqConfigSource
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


def make_runner(settings: Settings, session_factory) -> SettlementRunner:  # type: ignore[no-untyped-def]
    return SettlementRunner(
        session_factory, HqConfigSource(settings.hq_endpoint, deadline_seconds=max(settings.rpc_deadline_seconds, 10.0)),
        statements_dir=statements_dir(settings), time_zone=settings.business_time_zone, cutoff=settings.business_day_cutoff,
    )


def start_settlement(settings: Settings) -> RunningServer:
    upgrade_to_head("settlement", settings.database_url)
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    runner = make_runner(settings, session_factory)
    running = build_server(settings.listen, [servicers.register(runner)])
    consumer = IdempotentConsumer(
        name=f"{settings.deployment}.{CLEARING_CONSUMER}",
        bootstrap=settings.kafka_bootstrap,
        topics=[topics.POSTINGS],
        session_factory=session_factory,
        processed_model=ProcessedEvent,
        handle=ClearingIntake(settings.business_time_zone, settings.business_day_cutoff),
    )
    consumer.start()
    nightly = NightlySettlement.from_settings(runner, settings)
    if nightly is not None:
        nightly.start()
    running.on_stop += [engine.dispose, consumer.stop, runner.config.close]  # type: ignore[attr-defined]
    if nightly is not None:
        running.on_stop.append(nightly.stop)
    log.info("settlement serving", extra={"fields": {
        "port": running.port, "statements_dir": str(runner.statements_dir),
        "nightly_at": nightly.nightly_at if nightly else "off"}})
    return running
