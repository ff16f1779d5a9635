"""Forwarding the offline queue (X4): when the region answers again, the queued advices go to it in
queue order (oldest first) through StoreSyncService.UploadOfflineAdvices, in batches, until none is
left. Each advice keeps its id, so sending one twice (a crash between the region's answer and our
commit, a lost answer) posts it once: the region answers DUPLICATE.

A checkout on a card that still has queued advices first forwards that card's advices
(``flush_card``), so the region posts a card's spends in the order the store approved them.
Only one upload runs at a time (``_upload_lock``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import grpc
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.rpc.channels import call
from chaincard.v1 import store_sync_pb2, store_sync_pb2_grpc
from chaincard.workers import Backoff, RetryLater, Worker
from store_agent.card_cache import CardCache
from store_agent.models import OfflineAdvice
from store_agent.region_link import UNREACHABLE, LinkMonitor

log = logging.getLogger(__name__)

_advices = OfflineAdvice.__table__
_QUEUED = select(func.count()).select_from(_advices).where(_advices.c.state == "QUEUED")
_QUEUED_OF_CARD = _QUEUED.where(_advices.c.card_number == bindparam("card_number"))

BATCH_SIZE = 250
# After failures in a row the pause doubles from 2 × idle_seconds, up to 2**MAX_DOUBLINGS × idle_seconds.
MAX_DOUBLINGS = 5
FINAL = {
    store_sync_pb2.ADVICE_OUTCOME_POSTED: "POSTED",
    store_sync_pb2.ADVICE_OUTCOME_POSTED_OVERDRAWN: "POSTED_OVERDRAWN",
    store_sync_pb2.ADVICE_OUTCOME_DUPLICATE: "DUPLICATE",
    store_sync_pb2.ADVICE_OUTCOME_REJECTED: "REJECTED",
}


class AdviceForwarder(Worker):
    """The forwarding loop: while the region answers and advices are queued, a batch after another;
    idle (or offline), a check every ``idle_seconds``, sooner when the link monitor says the region,
    or a home region its calls could not reach, answers again. A batch that did not get a final
    answer for each advice backs off from twice ``idle_seconds`` to 32 times it."""

    def __init__(
        self,
        store_id: str,
        session_factory: sessionmaker[Session],
        stub: store_sync_pb2_grpc.StoreSyncServiceStub,
        monitor: LinkMonitor,
        cache: CardCache,
        *,
        deadline: float,
        batch_size: int = BATCH_SIZE,
        idle_seconds: float = 1.0,
    ) -> None:
        super().__init__("advice-forwarder", idle_seconds=idle_seconds,
                         backoff=Backoff(idle_seconds * 2, idle_seconds * 2**MAX_DOUBLINGS), join_seconds=10.0)
        self.store_id = store_id
        self.session_factory = session_factory
        self.stub = stub
        self.monitor = monitor
        self.cache = cache
        # An upload of a whole batch gets more time than a single call.
        self.deadline = max(deadline, 2.0) * 4
        self.batch_size = batch_size
        self._upload_lock = threading.Lock()
        monitor.listeners.append(self.wake)
        # Advices of cards homed there were answered RETRY_LATER and wait out the back-off (up to 32 s).
        monitor.home_region_listeners.append(lambda _region_code: self.wake())

    def step(self) -> bool:
        if not (self.monitor.online and self.queue_depth()):
            return False
        if not self.forward_batch():
            raise RetryLater("not every advice of the batch got a final answer")  # forward_batch logged why
        return bool(self.queue_depth())  # more to send: no pause

    # ---- reads -----------------------------------------------------------------------------------
    def queue_depth(self, card_number: str | None = None) -> int:
        """Advices still queued (of one card: asked before every online sale of it)."""
        with self.session_factory() as session:
            if card_number is None:
                return session.connection().execute(_QUEUED).scalar_one()
            return session.connection().execute(_QUEUED_OF_CARD, {"card_number": card_number}).scalar_one()

    # ---- uploads -----------------------------------------------------------------------------------
    def flush_card(self, card_number: str) -> bool:
        """Forward every queued advice of one card; True when none is left queued."""
        for _ in range(100):
            if not self.queue_depth(card_number):
                return True
            if not self.forward_batch(card_number=card_number):
                return False
        return not self.queue_depth(card_number)

    def forward_batch(self, *, card_number: str | None = None) -> bool:
        """Upload the oldest queued advices (of one card, or all); True when each got a final answer."""
        with self._upload_lock:
            with self.session_factory() as session:
                query = select(OfflineAdvice).where(OfflineAdvice.state == "QUEUED")
                if card_number is not None:
                    query = query.where(OfflineAdvice.card_number == card_number)
                rows = session.execute(query.order_by(OfflineAdvice.sequence).limit(self.batch_size)).scalars().all()
            if not rows:
                return True
            request = store_sync_pb2.UploadOfflineAdvicesRequest(
                request_id=new_id(), store_id=self.store_id,
                advices=[store_sync_pb2.OfflineAdvice.FromString(row.advice) for row in rows],
            )
            try:
                answer = call(self.stub.UploadOfflineAdvices, request, deadline=self.deadline)
            except grpc.RpcError as error:
                if error.code() in UNREACHABLE:
                    self.monitor.failure(error.code().name)
                else:
                    log.error("the region refused the offline advices", extra={"fields": {
                        "status": error.code().name, "details": error.details(), "first_sequence": rows[0].sequence}})
                self._note_failure([row.sequence for row in rows], f"{error.code().name}: {error.details() or ''}")
                return False
            self.monitor.success()
            return self._apply(rows, answer.results)

    def _note_failure(self, sequences: Sequence[int], message: str) -> None:
        now = utc_now()
        with self.session_factory.begin() as session:
            for row in session.execute(select(OfflineAdvice).where(OfflineAdvice.sequence.in_(list(sequences)))).scalars():
                row.attempts += 1
                row.last_attempt_at, row.last_error = now, message[:500]

    def _apply(self, rows: Sequence[OfflineAdvice], results: Sequence[store_sync_pb2.OfflineAdviceResult]) -> bool:
        by_id = {result.advice_id: result for result in results}
        now = utc_now()
        all_final = True
        latest_balances = {}
        with self.session_factory.begin() as session:
            for sent in rows:
                row = session.get(OfflineAdvice, sent.sequence)
                assert row is not None
                result = by_id.get(row.advice_id)
                row.attempts += 1
                row.last_attempt_at = now
                if result is None or result.outcome not in FINAL:
                    all_final = False
                    row.last_error = (result.message if result is not None else "no answer for this advice")[:500]
                    continue
                rejected = result.outcome == store_sync_pb2.ADVICE_OUTCOME_REJECTED
                row.state, row.outcome = ("REJECTED" if rejected else "POSTED"), FINAL[result.outcome]
                row.posted_transaction_id = result.transaction.transaction_id or None
                row.outcome_message, row.last_error, row.forwarded_at = result.message or None, None, now
                if rejected:
                    log.error("the region refused an offline sale for good: settle it by hand", extra={"fields": {
                        "advice_id": row.advice_id, "card": row.card_number, "message": result.message}})
                    continue
                conflicts = result.transaction.coupon_conflicts
                row.coupon_conflicts = len(conflicts)
                row.coupon_conflict_fen = sum(conflict.discount_fen for conflict in conflicts)
                if conflicts:
                    log.warning("an offline sale used coupons its home region found used elsewhere; the region flagged it",
                                extra={"fields": {"advice_id": row.advice_id, "card": row.card_number,
                                                  "coupons": [conflict.coupon_code for conflict in conflicts],
                                                  "discount_fen": row.coupon_conflict_fen}})
                # Uses the card no longer held when posted (docs/adr/0036): owed by the card, flagged.
                row.count_use_shortfall = -sum(change.uses_delta for change in result.count_use_shortfalls)
                if row.count_use_shortfall:
                    log.warning("an offline sale used count-card uses its card no longer held; the region flagged it",
                                extra={"fields": {"advice_id": row.advice_id, "card": row.card_number,
                                                  "uses_owed": row.count_use_shortfall}})
                if result.member_code_replayed:
                    log.warning("an offline sale's QR member code had been used before; the region flagged it",
                                extra={"fields": {"advice_id": row.advice_id, "card": row.card_number,
                                                  "replay_of": result.member_code_replay_of}})
                if result.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED_OVERDRAWN:
                    log.warning("an offline sale overdrew its card; the region flagged it", extra={"fields": {
                        "advice_id": row.advice_id, "card": row.card_number, "message": result.message}})
                if result.outcome != store_sync_pb2.ADVICE_OUTCOME_DUPLICATE:
                    # The balance right after this card's last advice of the batch includes them all.
                    latest_balances[row.card_number] = result.transaction.balances_after
            for number, balances in latest_balances.items():
                self.cache.put_balances(session, number, balances, now)
        for row in rows:  # a card whose offline sales were posted: its home region answers again
            if by_id.get(row.advice_id) is not None and by_id[row.advice_id].outcome in FINAL:
                self.monitor.card_answered(row.card_number)
        return all_final
