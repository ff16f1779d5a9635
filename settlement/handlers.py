"""SettlementService's one command, RunSettlement, as a handler of the command pipeline
(chaincard.commands): the pipeline replays a repeated request id's stored answer or remembers the
new one; the run itself is SettlementRunner's, in transactions of its own (settlement.runs)."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner, UnitOfWork
from chaincard.v1 import settlement_pb2
from settlement.models import IdempotencyKey
from settlement.runs import SettlementRunner
from settlement.statements import parse_day


def settlement_commands(session_factory: sessionmaker[Session]) -> CommandRunner[UnitOfWork]:
    """The settlement service's command pipeline, on its ``idempotency_keys`` table."""
    return CommandRunner(session_factory, IdempotencyKey, UnitOfWork)


def run_settlement(uow: UnitOfWork, request: settlement_pb2.RunSettlementRequest, *, runner: SettlementRunner,
                   close_early: bool = False) -> settlement_pb2.RunSettlementResponse:
    """Settle the business day asked for (or answer its completed run). ``close_early`` settles a
    day before its cut-off (the caller's metadata, read by the servicer).

    The run commits in its own transactions, not in ``uow``'s: that one only holds the request id,
    remembered when the run is over. Two first attempts with one id both run (the second finds
    the day completed and changes nothing); the later one then replays the first one's answer."""
    day = parse_day("business_date", request.business_date)
    assert day is not None
    return settlement_pb2.RunSettlementResponse(run=runner.run(day, close_early=close_early))
