"""Sends each region its chunk of a company's bulk recharge (C6, docs/adr/0045), as the bulk coupon
issue does (hq_service.bulk_issue_worker, docs/adr/0024), one (job, region) chunk per step:

1. lock the chunk's row (``FOR UPDATE SKIP LOCKED``: other workers take other chunks);
2. call the region's ``CompanyOrderService.PostCompanyOrder`` with every line of the job homed
   there (at most 1000: one region transaction posts them all or nothing);
3. lock the job's row, record each line's card and transaction (a new holder's phone is dropped),
   the company's cards, and close the chunk; the job completes with its last chunk, then commit.

The chunk's request id is derived from the job and the region, and each line's region key is
``company:<job>:<line>``: a chunk sent again after a crash between 2 and 3 is answered with what
was posted the first time. A region that does not answer is tried again by the worker's back-off;
one that refuses the chunk (a line broke one of its rules) fails the job: that region's lines are
REFUSED with the reason, the other regions' chunks are still sent (their invoice lines stand).

With no chunk to send, a step posts one waiting part of a company's payment in its region
(``PostCompanyPayment``, keyed there by the payment: exactly once however often it is sent).
"""

from __future__ import annotations

import logging
import uuid

import grpc
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.errors import Unavailable
from chaincard.rpc.channels import call
from chaincard.security.identity import Place
from chaincard.v1 import companies_pb2, companies_pb2_grpc
from chaincard.workers import Backoff, RetryLater, Worker
from hq_service import audit_log
from hq_service.bulk_issue_worker import RETRYABLE
from hq_service.company_models import (
    CompanyCard,
    CompanyPaymentPartRow,
    CompanyPaymentRow,
    CompanyRechargeJobRow,
    CompanyRechargeLine,
    CompanyRechargeRegion,
    CompanyRow,
)
from hq_service.handlers.company_recharges import POSTED, REFUSED
from hq_service.region_channels import RegionChannels, no_endpoint

log = logging.getLogger(__name__)

# A chunk of 1000 lines opening cards (each a phone claim at HQ) takes seconds; room for a loaded region.
CHUNK_DEADLINE_SECONDS = 120.0
PART_DEADLINE_SECONDS = 30.0
IDLE_SECONDS = 1.0
_CHUNK_IDS = uuid.UUID("3e1d4c55-8f0b-4a3c-b7a1-636f72702d63")


def part_request_id(payment_id: str, region_code: str) -> str:
    """The same payment part has the same request id on every send."""
    return str(uuid.uuid5(_CHUNK_IDS, f"payment:{payment_id}:{region_code}"))


def chunk_request_id(job_id: str, region_code: str) -> str:
    """The same chunk has the same request id on every send."""
    return str(uuid.uuid5(_CHUNK_IDS, f"{job_id}:{region_code}"))


class RegionCompanyOrders:
    """CompanyOrderService stubs over HQ's shared channel to each region."""

    def __init__(self, channels: RegionChannels) -> None:
        self.channels = channels

    def stub(self, region_code: str) -> companies_pb2_grpc.CompanyOrderServiceStub:
        channel = self.channels.channel(region_code)
        if channel is None:
            raise RetryLater(no_endpoint(region_code))
        return companies_pb2_grpc.CompanyOrderServiceStub(channel)

    def void_line(self, region_code: str, request: companies_pb2.VoidCompanyLineRequest) -> companies_pb2.VoidCompanyLineResponse:
        """A credit note's VoidCompanyLine, called while HQ's caller waits (CreditCompanyLine)."""
        try:
            stub = self.stub(region_code)
        except RetryLater as waiting:
            raise Unavailable(str(waiting)) from None
        return call(stub.VoidCompanyLine, request)



class _RegionWaiting(Exception):  # noqa: N818 - the region is not answering yet: the chunk waits
    def __init__(self, job_id: str, text: str) -> None:
        super().__init__(text)
        self.job_id = job_id
        self.text = text


class _PartWaiting(Exception):  # noqa: N818 - a payment part's region has not posted it yet
    def __init__(self, payment_id: str, region_code: str, text: str) -> None:
        super().__init__(text)
        self.payment_id = payment_id
        self.region_code = region_code
        self.text = text


class CompanyRechargeWorker(Worker):
    def __init__(self, session_factory: sessionmaker[Session], regions: RegionCompanyOrders, *,
                 name: str = "company-recharge") -> None:
        super().__init__(name, idle_seconds=IDLE_SECONDS, backoff=Backoff(0.5, 10.0))
        self.session_factory = session_factory
        self.regions = regions

    def step(self) -> bool:
        try:
            return self._step()
        except _PartWaiting as waiting:  # noted once the part's transaction has ended
            log.warning("company payment waits for a region", extra={"fields": {
                "payment_id": waiting.payment_id, "region": waiting.region_code, "error": waiting.text}})
            with self.session_factory.begin() as session:
                session.execute(update(CompanyPaymentPartRow).where(
                    CompanyPaymentPartRow.payment_id == waiting.payment_id,
                    CompanyPaymentPartRow.region_code == waiting.region_code).values(last_error=waiting.text[:500]))
            raise RetryLater(waiting.text) from waiting
        except _RegionWaiting as waiting:  # noted once the chunk's transaction has ended
            log.warning("company recharge waits for a region", extra={"fields": {"job_id": waiting.job_id, "error": waiting.text}})
            with self.session_factory.begin() as session:
                session.execute(update(CompanyRechargeJobRow).where(CompanyRechargeJobRow.job_id == waiting.job_id)
                                .values(last_error=waiting.text[:500]))
            raise RetryLater(waiting.text) from waiting

    def _step(self) -> bool:
        with self.session_factory.begin() as session:
            chunk = session.execute(
                select(CompanyRechargeRegion)
                .join(CompanyRechargeJobRow, CompanyRechargeJobRow.job_id == CompanyRechargeRegion.job_id)
                .where(CompanyRechargeJobRow.state.in_(("RUNNING", "FAILED")), CompanyRechargeRegion.done.is_(False))
                .order_by(CompanyRechargeJobRow.created_at, CompanyRechargeRegion.job_id, CompanyRechargeRegion.region_code)
                .limit(1).with_for_update(of=CompanyRechargeRegion, skip_locked=True)
            ).scalar_one_or_none()
            if chunk is None:
                return self._post_payment_part(session)
            job = session.get(CompanyRechargeJobRow, chunk.job_id)
            assert job is not None
            lines = list(session.execute(
                select(CompanyRechargeLine)
                .where(CompanyRechargeLine.job_id == job.job_id, CompanyRechargeLine.region_code == chunk.region_code)
                .order_by(CompanyRechargeLine.line_index)).scalars())
            answer = self._send(job, chunk.region_code, lines)
            # The job's row is locked from here to the commit: of two workers closing its last two
            # chunks, the second sees the first's committed.
            session.refresh(job, with_for_update=True)
            if isinstance(answer, grpc.RpcError):
                _refused(session, job, chunk.region_code, lines, answer)
            else:
                _record(session, job, lines, answer)
            chunk.done = True
            _finish_if_done(session, job)
        return True

    def _send(self, job: CompanyRechargeJobRow, region_code: str,
              lines: list[CompanyRechargeLine]) -> list[companies_pb2.CompanyOrderLinePosted] | grpc.RpcError:
        request = companies_pb2.PostCompanyOrderRequest(
            request_id=chunk_request_id(job.job_id, region_code), job_id=job.job_id, company_id=job.company_id,
            store_id=job.store_id, card_type_code=job.card_type_code, operator_id=job.operator_id,
            lines=[companies_pb2.CompanyOrderChunkLine(line_index=line.line_index, line=companies_pb2.CompanyOrderLine(
                card_number=line.card_number, holder_name=line.holder_name, holder_phone=line.holder_phone,
                amount_fen=line.amount_fen)) for line in lines],
        )
        try:
            response = call(self.regions.stub(region_code).PostCompanyOrder, request, deadline=CHUNK_DEADLINE_SECONDS)
        except grpc.RpcError as error:
            if error.code() in RETRYABLE:
                raise _RegionWaiting(job.job_id, f"region {region_code}: {error.code().name}: {error.details()}") from error
            return error
        posted = list(response.lines)
        if [line.line_index for line in posted] != [line.line_index for line in lines]:
            raise RuntimeError(f"region {region_code} answered other lines than the chunk it was sent")
        return posted

    def _post_payment_part(self, session: Session) -> bool:
        """One waiting part of a company's payment, posted in its region (then the part records the
        region's transaction). The region keys the posting by the payment: sent again after a crash
        before this commit, it answers the first posting. A region not answering is tried again by
        the worker's back-off."""
        part = session.execute(
            select(CompanyPaymentPartRow).where(CompanyPaymentPartRow.transaction_id == "")
            # Parts a region has not taken yet go last, so one region down delays no other.
            .order_by(CompanyPaymentPartRow.last_error != "", CompanyPaymentPartRow.payment_id,
                      CompanyPaymentPartRow.region_code)
            .limit(1).with_for_update(skip_locked=True)).scalar_one_or_none()
        if part is None:
            return False
        payment = session.get(CompanyPaymentRow, part.payment_id)
        company = session.get(CompanyRow, payment.company_id) if payment is not None else None
        assert payment is not None and company is not None  # foreign keys
        request = companies_pb2.PostCompanyPaymentRequest(
            request_id=part_request_id(part.payment_id, part.region_code), payment_id=part.payment_id,
            company_id=payment.company_id, franchisee_id=company.franchisee_id, amount_fen=part.amount_fen,
            operator_id=payment.operator_id, reference=payment.reference)
        try:
            answer = call(self.regions.stub(part.region_code).PostCompanyPayment, request, deadline=PART_DEADLINE_SECONDS)
        except (grpc.RpcError, RetryLater) as error:
            text = (f"region {part.region_code}: {error.code().name}: {error.details()}" if isinstance(error, grpc.RpcError)
                    else str(error))
            raise _PartWaiting(part.payment_id, part.region_code, text) from error
        part.transaction_id, part.last_error = answer.transaction_id, ""
        audit_log.record(session, action="company.payment.posted", target_type="company_payment",
                         target_id=part.payment_id, place=Place(region=part.region_code, franchisee=company.franchisee_id),
                         amount_fen=part.amount_fen, after={"company_id": payment.company_id,
                                                            "transaction_id": answer.transaction_id})
        return True

    def release(self) -> None:
        """Channels are kept: they reconnect by themselves."""


def _record(session: Session, job: CompanyRechargeJobRow, lines: list[CompanyRechargeLine],
            posted: list[companies_pb2.CompanyOrderLinePosted]) -> None:
    for line, answer in zip(lines, posted, strict=True):
        line.card_number, line.transaction_id, line.outcome = answer.card_number, answer.transaction_id, POSTED
        line.holder_phone = ""  # the member's phone now lives in their home region
    if posted:
        session.execute(pg_insert(CompanyCard).values(
            [{"company_id": job.company_id, "card_number": answer.card_number} for answer in posted]).on_conflict_do_nothing())
    if job.state == "RUNNING":
        job.last_error = ""


def _refused(session: Session, job: CompanyRechargeJobRow, region_code: str, lines: list[CompanyRechargeLine],
             error: grpc.RpcError) -> None:
    """The region refused its chunk (nothing of it posted): its lines are REFUSED, and the job will
    end FAILED once the other regions have answered (it stays RUNNING until then, so a caller that
    waits for the end sees every region's outcome)."""
    reason = f"region {region_code} refused its chunk: {error.code().name}: {error.details()}"[:500]
    for line in lines:
        line.outcome, line.detail, line.holder_phone = REFUSED, reason, ""
    log.warning("company recharge failed", extra={"fields": {"job_id": job.job_id, "error": reason}})
    audit_log.record(session, action="company.bulk_recharge.failed", target_type="company_recharge", target_id=job.job_id,
                     place=Place(region=region_code), reason=reason, outcome=error.code().name)


def _finish_if_done(session: Session, job: CompanyRechargeJobRow) -> None:
    session.flush()
    waiting = session.execute(select(CompanyRechargeRegion.region_code).where(
        CompanyRechargeRegion.job_id == job.job_id, CompanyRechargeRegion.done.is_(False))).first()
    if waiting is not None or job.finished_at is not None:
        return
    job.finished_at = utc_now()
    refused = session.execute(select(CompanyRechargeLine.detail).where(
        CompanyRechargeLine.job_id == job.job_id, CompanyRechargeLine.outcome == REFUSED)
        .order_by(CompanyRechargeLine.line_index)).scalars().first()
    if refused is not None:
        job.state, job.last_error = "FAILED", refused
    elif job.state == "RUNNING":
        job.state = "COMPLETED"
    posted = session.execute(select(CompanyRechargeLine.amount_fen).where(
        CompanyRechargeLine.job_id == job.job_id, CompanyRechargeLine.outcome == POSTED)).scalars().all()
    audit_log.record(session, action=f"company.bulk_recharge.{job.state.lower()}", target_type="company_recharge",
                     target_id=job.job_id, place=Place(), amount_fen=sum(posted),
                     after={"company_id": job.company_id, "lines_total": job.lines_total, "lines_posted": len(posted),
                            "amount_posted_fen": sum(posted)})
