"""A credit note on one posted line of a company's bulk recharge (CompanyService.CreditCompanyLine,
C6, docs/adr/0045): all or part of the line's COMPANY_RECHARGE is voided in its home region, the
principal going back to the seller's COMPANY_RECEIVABLE, so the company is invoiced less; never cash.

**What is creditable, to the fen**: the part of the line no payment covers (a region's payments cover
its own oldest lines, hq_service.handlers.company_payments.split), less the credits already on it
(:func:`line_left`). A request's ``amount_fen`` (0: all of that) is refused over it
(FAILED_PRECONDITION naming the limit) with nothing written. A line may be credited several times.

The note is stored first, with the company's row locked (as a payment is): from then on its amount is
no longer invoiced, so no payment can cover it meanwhile. Then the region is called (keyed by the
note, ``credit_id``: a resend answers the first posting). A region refusing it (the principal spent)
removes the note and hands the refusal back; a region not answering leaves it waiting for a retry
with the same request id.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.db.idempotency import validate_request_id
from chaincard.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    RemoteStatus,
    Unavailable,
)
from chaincard.ids import new_id
from chaincard.money import format_fen
from chaincard.security.identity import Place, current_principal
from chaincard.v1 import companies_pb2
from chaincard.validation import optional_text, require_text
from hq_service import audit_log
from hq_service.company_models import (
    CompanyCreditNoteRow,
    CompanyRechargeJobRow,
    CompanyRechargeLine,
    CompanyRow,
)
from hq_service.handlers.company_payments import credited_by_line, invoiced_lines, owed, paid_by_region

SERVICE = "CompanyService"
POSTED = "POSTED"
MAX_REASON = 200
# Region statuses worth a retry of the same request (the region did not decide).
_RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED,
                        grpc.StatusCode.RESOURCE_EXHAUSTED})
VoidInRegion = Callable[[str, companies_pb2.VoidCompanyLineRequest], companies_pb2.VoidCompanyLineResponse]


def line_left(lines: list[tuple[str, str, int]], paid: dict[str, int], key: str) -> int:
    """What of line ``key`` is still creditable, in fen (pure): its invoiced amount (after its credits)
    less what payments cover of it. ``lines``: (key, region, amount still invoiced), oldest first, a
    line credited in full absent (0); a region's payments cover its own oldest lines."""
    left = dict(paid)
    for line_key, region, amount in lines:
        covered = min(left.get(region, 0), amount)
        if line_key == key:
            return amount - covered
        left[region] = left.get(region, 0) - covered
    return 0


def credit_company_line(session_factory: sessionmaker[Session], void_in_region: VoidInRegion,
                        request: companies_pb2.CreditCompanyLineRequest) -> companies_pb2.CreditCompanyLineResponse:
    validate_request_id(request.request_id)
    job_id = require_text("job_id", request.job_id, max_length=36)
    if request.line_index < 0:
        raise InvalidArgument("line_index", "must not be negative")
    reason = optional_text("reason", request.reason, max_length=MAX_REASON)
    if request.amount_fen < 0:
        raise InvalidArgument("amount_fen", "must not be negative (0: the whole creditable part of the line)")
    note = _note(session_factory, request, job_id, reason)
    if not note.transaction_id:
        note = _post(session_factory, void_in_region, note)
    with session_factory() as session:
        return companies_pb2.CreditCompanyLineResponse(
            transaction_id=note.transaction_id, card_number=note.card_number, amount_fen=note.amount_fen,
            outstanding_fen=owed(session, note.company_id).outstanding_fen,
            line_left_fen=_left(session, note.company_id, note.job_id, note.line_index))


def _left(session: Session, company: str, job_id: str, line_index: int) -> int:
    lines = [(f"{key_job}:{index}", region, amount) for key_job, index, region, amount in invoiced_lines(session, company)]
    return line_left(lines, paid_by_region(session, company), f"{job_id}:{line_index}")


def _note(session_factory: sessionmaker[Session], request: companies_pb2.CreditCompanyLineRequest, job_id: str,
          reason: str) -> CompanyCreditNoteRow:
    """The request's credit note: the one stored under its request id, or a new one."""
    for _ in range(2):  # a twin call may commit first: then answer its note
        with session_factory() as session:
            known = session.execute(select(CompanyCreditNoteRow)
                                    .where(CompanyCreditNoteRow.request_id == request.request_id)).scalar_one_or_none()
            if known is not None:
                if (known.job_id, known.line_index, known.reason, known.asked_fen) != (
                        job_id, request.line_index, reason, request.amount_fen):
                    raise AlreadyExists(f"request_id {request.request_id!r} already credited "
                                        f"{format_fen(known.amount_fen)} of line {known.line_index} of job {known.job_id}")
                session.expunge(known)
                return known
        try:
            with session_factory.begin() as session:
                note = _store(session, request, job_id, reason)
                session.flush()
                session.expunge(note)
                return note
        except IntegrityError:
            continue
    raise AssertionError("unreachable: the request id's credit note exists after a unique-key conflict")


def _store(session: Session, request: companies_pb2.CreditCompanyLineRequest, job_id: str, reason: str) -> CompanyCreditNoteRow:
    job = session.get(CompanyRechargeJobRow, job_id)
    if job is None:
        raise NotFound(f"no bulk recharge {job_id!r}")
    # The company's row locked: credits and payments of one company one after the other.
    session.execute(select(CompanyRow).where(CompanyRow.company_id == job.company_id).with_for_update()).scalar_one()
    line = session.get(CompanyRechargeLine, (job_id, request.line_index))
    if line is None or line.outcome != POSTED:
        raise InvalidArgument("line_index", f"job {job_id} has no posted line {request.line_index}")
    credited = credited_by_line(session, job.company_id).get((job_id, request.line_index), 0)
    left = _left(session, job.company_id, job_id, request.line_index)
    covered = line.amount_fen - credited - left
    what = f"line {request.line_index} of job {job_id}"
    if left == 0:
        why = []
        if credited:
            why.append(f"{format_fen(credited)} of it was already credited")
        if covered:
            why.append(f"the company's payments already cover {format_fen(covered)} of it")
        raise FailedPrecondition(f"{what} ({format_fen(line.amount_fen)}) has nothing left to credit: "
                                 f"{' and '.join(why)}")
    amount = request.amount_fen or left
    if amount > left:
        raise FailedPrecondition(f"amount_fen {format_fen(amount)} is more than {what} has left to credit: at most "
                                 f"{format_fen(left)} (the line {format_fen(line.amount_fen)}, already credited "
                                 f"{format_fen(credited)}, covered by payments {format_fen(covered)})")
    principal = current_principal()
    note = CompanyCreditNoteRow(
        credit_id=new_id(), request_id=request.request_id, job_id=job_id, line_index=request.line_index,
        company_id=job.company_id, region_code=line.region_code, card_number=line.card_number, amount_fen=amount,
        asked_fen=request.amount_fen, reason=reason, operator_id=principal.operator_id if principal is not None else "",
        transaction_id="", created_at=utc_now())
    session.add(note)
    return note


def _post(session_factory: sessionmaker[Session], void_in_region: VoidInRegion,
          note: CompanyCreditNoteRow) -> CompanyCreditNoteRow:
    with session_factory() as session:
        line = session.get(CompanyRechargeLine, (note.job_id, note.line_index))
        assert line is not None  # the note's foreign line
        original = line.transaction_id
    request = companies_pb2.VoidCompanyLineRequest(
        request_id=f"credit:{note.credit_id}", job_id=note.job_id, line_index=note.line_index, company_id=note.company_id,
        card_number=note.card_number, original_transaction_id=original, operator_id=note.operator_id, reason=note.reason,
        amount_fen=note.amount_fen, credit_id=note.credit_id)
    try:
        answer = void_in_region(note.region_code, request)
    except grpc.RpcError as error:
        if error.code() in _RETRYABLE:
            raise Unavailable(f"region {note.region_code} did not answer ({error.code().name}); the credit note waits: "
                              "send the same request again") from error
        with session_factory.begin() as session:  # the region refused: the line is invoiced again
            session.execute(delete(CompanyCreditNoteRow).where(CompanyCreditNoteRow.credit_id == note.credit_id))
        raise RemoteStatus(error.code().name, f"region {note.region_code}: {error.details()}") from error
    with session_factory.begin() as session:
        row = session.get(CompanyCreditNoteRow, note.credit_id)
        assert row is not None
        row.transaction_id = answer.transaction_id
        company = session.get(CompanyRow, row.company_id)
        assert company is not None
        audit_log.record(session, action=audit_log.rpc(SERVICE, "CreditCompanyLine"), target_type="company_credit_note",
                         target_id=row.credit_id, place=Place(region=company.home_region, franchisee=company.franchisee_id),
                         request_id=row.request_id, amount_fen=row.amount_fen, reason=row.reason,
                         after={"company_id": row.company_id, "job_id": row.job_id, "line_index": row.line_index,
                                "asked": format_fen(row.asked_fen) if row.asked_fen else "the whole creditable part",
                                "card_number": row.card_number, "transaction_id": answer.transaction_id,
                                "amount": format_fen(row.amount_fen)})
        session.flush()
        session.expunge(row)
        return row
