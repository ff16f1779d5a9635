"""Sends the cards of HQ's bulk coupon issues to their home regions, a chunk at a time (docs/adr/0024).

One step handles one chunk of one (job, region) cursor, in one HQ transaction:

1. lock the cursor (``FOR UPDATE SKIP LOCKED``: another worker, of this process or another HQ
   process, takes another cursor, so a job's regions are served side by side);
2. read the next ``chunk_size`` unanswered cards after it, in card-number order;
3. call the region's ``CouponBatchService.IssueCouponBatch`` (its coupons commit there);
4. lock the job's row, record each card's answer, add to the job's counters and advance the
   cursor (the job completes with its last cursor), then commit.

A SIGKILL between 3 and 4 loses HQ's record of the chunk, not the coupons: after the restart the
cursor still points before the chunk, the same chunk is sent again with the same request id, and
the region answers what it issued the first time (each coupon's issue key is ``bulk:<job>:<card>:0``).
A region that does not answer is tried again by the worker's back-off; a region that refuses the
chunk itself (the template was deactivated, say) fails the job, with the reason in ``last_error``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

import grpc
from sqlalchemy import String, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import table_of, utc_now
from chaincard.rpc.channels import call
from chaincard.security.identity import Place
from chaincard.v1 import coupon_issue_pb2, coupon_issue_pb2_grpc
from chaincard.workers import Backoff, RetryLater, Worker
from hq_service import audit_log
from hq_service.bulk_issue_models import BulkIssueCard, BulkIssueCursor, BulkIssueJobRow
from hq_service.handlers.bulk_issue import CARD_NOT_ACTIVE, ISSUED, SKIP_OUTCOMES, UNKNOWN_CARD
from hq_service.region_channels import RegionChannels, no_endpoint

log = logging.getLogger(__name__)

CHUNK_SIZE = 1000
# Workers per HQ process: one per region of a two-region chain works on both at once.
WORKERS = 2
# A chunk of 1000 coupons commits in well under a second on a region; the deadline leaves room for a loaded one.
CHUNK_DEADLINE_SECONDS = 60.0
IDLE_SECONDS = 1.0
# Statuses that mean "not now": the chunk is sent again later. Any other refusal fails the job.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
                       grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED,
                       grpc.StatusCode.RESOURCE_EXHAUSTED})
_CHUNK_IDS = uuid.UUID("7b0c6f0e-5a53-4f0e-9c55-6b756c6b2d31")


class _RegionWaiting(Exception):  # noqa: N818 - the region is not answering yet: the chunk waits
    def __init__(self, job_id: str, text: str) -> None:
        super().__init__(text)
        self.job_id = job_id
        self.text = text


class RegionCouponBatches:
    """One CouponBatchService stub per call, over HQ's shared channel to the region."""

    def __init__(self, channels: RegionChannels) -> None:
        self.channels = channels

    def stub(self, region_code: str) -> coupon_issue_pb2_grpc.CouponBatchServiceStub:
        channel = self.channels.channel(region_code)
        if channel is None:
            raise RetryLater(no_endpoint(region_code))
        return coupon_issue_pb2_grpc.CouponBatchServiceStub(channel)



def chunk_request_id(job_id: str, region_code: str, cards: Sequence[str]) -> str:
    """The same chunk (same job, region, first and last card, size) has the same request id on every send."""
    return str(uuid.uuid5(_CHUNK_IDS, f"{job_id}:{region_code}:{cards[0]}:{cards[-1]}:{len(cards)}"))


class BulkIssueWorker(Worker):
    def __init__(self, session_factory: sessionmaker[Session], regions: RegionCouponBatches, *,
                 chunk_size: int = CHUNK_SIZE, name: str = "bulk-coupon-issue") -> None:
        super().__init__(name, idle_seconds=IDLE_SECONDS, backoff=Backoff(0.5, 10.0))
        self.session_factory = session_factory
        self.regions = regions
        self.chunk_size = chunk_size

    def step(self) -> bool:
        try:
            return self._step()
        except _RegionWaiting as waiting:  # noted once the chunk's transaction has ended
            self._note_error(waiting.job_id, waiting.text)
            raise RetryLater(waiting.text) from waiting

    def _step(self) -> bool:
        with self.session_factory.begin() as session:
            cursor = session.execute(
                select(BulkIssueCursor).join(BulkIssueJobRow, BulkIssueJobRow.job_id == BulkIssueCursor.job_id)
                .where(BulkIssueJobRow.state == "RUNNING", BulkIssueCursor.done.is_(False))
                .order_by(BulkIssueJobRow.created_at, BulkIssueCursor.job_id, BulkIssueCursor.region_code)
                .limit(1).with_for_update(of=BulkIssueCursor, skip_locked=True)
            ).scalar_one_or_none()
            if cursor is None:
                return False
            # Not locked yet: another worker may be sending a chunk of the job's other region meanwhile.
            job = session.get(BulkIssueJobRow, cursor.job_id)
            assert job is not None
            cards = list(session.execute(
                select(BulkIssueCard.card_number)
                .where(BulkIssueCard.job_id == cursor.job_id, BulkIssueCard.region_code == cursor.region_code,
                       BulkIssueCard.card_number > cursor.last_card_number)
                .order_by(BulkIssueCard.card_number).limit(self.chunk_size)
            ).scalars())
            answer = self._send(job, cursor.region_code, cards) if cards else None
            # The job's row is locked from here to the commit: its counters add up, and of two workers
            # closing the job's last two cursors the second sees the first's committed.
            session.refresh(job, with_for_update=True)
            if isinstance(answer, grpc.RpcError):
                _fail(session, job, cursor.region_code, answer)
            elif answer is not None:
                _record(session, job, answer)
                cursor.last_card_number = cards[-1]
                cursor.done = len(cards) < self.chunk_size
            else:
                cursor.done = True
            _complete_if_done(session, job)
        return True

    def _send(self, job: BulkIssueJobRow, region_code: str,
              cards: list[str]) -> list[coupon_issue_pb2.CouponBatchResult] | grpc.RpcError:
        """The region's answer per card, or its refusal of the whole chunk (raises while it does not answer)."""
        request = coupon_issue_pb2.IssueCouponBatchRequest(
            request_id=chunk_request_id(job.job_id, region_code, cards), job_id=job.job_id,
            template_code=job.template_code, reason=job.reason, card_numbers=cards, operator_id=job.operator_id,
        )
        try:
            response = call(self.regions.stub(region_code).IssueCouponBatch, request, deadline=CHUNK_DEADLINE_SECONDS)
        except grpc.RpcError as error:
            if error.code() in RETRYABLE:
                raise _RegionWaiting(job.job_id, f"region {region_code}: {error.code().name}: {error.details()}") from error
            return error
        results = list(response.results)
        if [result.card_number for result in results] != cards:
            raise RuntimeError(f"region {region_code} answered another list of cards than the chunk it was sent")
        return results

    def _note_error(self, job_id: str, text: str) -> None:
        """Keep why the job is waiting, for GetBulkIssue (its own transaction: the chunk's rolls back)."""
        log.warning("bulk coupon issue waits for a region", extra={"fields": {"job_id": job_id, "error": text}})
        with self.session_factory.begin() as session:
            session.execute(update(BulkIssueJobRow).where(BulkIssueJobRow.job_id == job_id).values(last_error=text[:500]))

    def release(self) -> None:
        """Channels are kept: they reconnect by themselves."""


def _record(session: Session, job: BulkIssueJobRow, results: list[coupon_issue_pb2.CouponBatchResult]) -> None:
    """Each card's answer, in one UPDATE joined to the answers as arrays (``unnest``): an UPDATE per
    card costs a round trip each."""
    counts = {ISSUED: 0, UNKNOWN_CARD: 0, CARD_NOT_ACTIVE: 0}
    columns: dict[str, list[str]] = {"card_number": [], "outcome": [], "coupon_code": [], "detail": []}
    for result in results:
        outcome = ISSUED if result.coupon_code else SKIP_OUTCOMES.get(result.skip_reason, UNKNOWN_CARD)
        counts[outcome] += 1
        for name, value in (("card_number", result.card_number), ("outcome", outcome),
                            ("coupon_code", result.coupon_code), ("detail", result.detail[:200])):
            columns[name].append(value)
    answers = func.unnest(*(bindparam(name, value, type_=ARRAY(String)) for name, value in columns.items())) \
        .table_valued(*columns).render_derived(name="answers")
    cards = table_of(BulkIssueCard)
    session.execute(
        update(cards).where(cards.c.job_id == job.job_id, cards.c.card_number == answers.c.card_number)
        .values(outcome=answers.c.outcome, coupon_code=answers.c.coupon_code, detail=answers.c.detail)
    )
    job.cards_issued += counts[ISSUED]
    job.cards_skipped_unknown += counts[UNKNOWN_CARD]
    job.cards_skipped_not_active += counts[CARD_NOT_ACTIVE]
    job.last_error = ""


def _fail(session: Session, job: BulkIssueJobRow, region_code: str, error: grpc.RpcError) -> None:
    """A region refused a chunk itself (not a card of it): the job stops, saying why."""
    if job.state != "RUNNING":
        return
    job.state, job.finished_at = "FAILED", utc_now()
    job.last_error = f"region {region_code} refused a chunk: {error.code().name}: {error.details()}"[:500]
    log.warning("bulk coupon issue failed", extra={"fields": {"job_id": job.job_id, "error": job.last_error}})
    audit_log.record(session, action="coupon.bulk_issue.failed", target_type="bulk_coupon_issue", target_id=job.job_id,
                     place=Place(region=job.region_code), reason=job.last_error, outcome=error.code().name)


def _complete_if_done(session: Session, job: BulkIssueJobRow) -> None:
    if job.state != "RUNNING":
        return
    session.flush()
    open_cursors = session.execute(select(BulkIssueCursor.region_code).where(
        BulkIssueCursor.job_id == job.job_id, BulkIssueCursor.done.is_(False))).first()
    if open_cursors is not None:
        return
    job.state, job.finished_at = "COMPLETED", utc_now()
    skipped = job.cards_skipped_unknown + job.cards_skipped_not_active
    audit_log.record(session, action="coupon.bulk_issue.completed",
                     target_type="bulk_coupon_issue", target_id=job.job_id, place=Place(region=job.region_code),
                     after={"cards_total": job.cards_total, "cards_issued": job.cards_issued, "cards_skipped": skipped})
