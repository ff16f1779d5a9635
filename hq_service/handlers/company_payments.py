"""A company's payment of its invoices (C6, docs/adr/0045): RecordCompanyPayment, and what a company
owes (GetCompany's invoiced, paid and outstanding figures).

The receivable lives in the regions: each posted line of a bulk recharge debited the selling
franchisee's COMPANY_RECEIVABLE in the line's home region. So HQ splits a payment over the regions,
**oldest invoiced lines first**: the company's posted lines in the order they were placed (job, then
line), each region's earlier payments covering its own oldest lines, the new payment covering the
oldest lines still unpaid whichever region holds them. The split is one ``company_payment_parts``
row per region, written with the payment in one transaction while the company's row is locked (two
payments at once cannot both take the same outstanding amount);
hq_service.company_recharge_worker then posts each part in its region exactly once
(``PostCompanyPayment``, keyed by the payment). A payment over what the company owes is refused,
naming ``amount_fen``, and nothing is written.

A payment's request id is unique: a retry answers the payment as it is now (parts posted or still
waiting); the same request id asking anything else is ALREADY_EXISTS.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.db.idempotency import validate_request_id
from chaincard.errors import AlreadyExists, InvalidArgument, NotFound
from chaincard.ids import new_id
from chaincard.money import format_fen
from chaincard.security.identity import Place, current_principal
from chaincard.v1 import companies_pb2
from chaincard.validation import optional_text
from hq_service import audit_log
from hq_service.company_models import (
    CompanyCreditNoteRow,
    CompanyPaymentPartRow,
    CompanyPaymentRow,
    CompanyRechargeJobRow,
    CompanyRechargeLine,
    CompanyRow,
)
from hq_service.handlers.companies import company_id

SERVICE = "CompanyService"
POSTED = "POSTED"  # hq_service.handlers.company_recharges.POSTED (no import: that module imports this one)


@dataclass(frozen=True)
class Owed:
    """What a company was invoiced (its posted lines) and paid (its recorded payments), in fen."""

    invoiced_fen: int
    paid_fen: int

    @property
    def outstanding_fen(self) -> int:
        return self.invoiced_fen - self.paid_fen


def credited_by_line(session: Session, company: str) -> dict[tuple[str, int], int]:
    """What the company's credit notes took off each line, in fen: (job id, line index) → sum."""
    return {(job, int(index)): int(total) for job, index, total in session.execute(
        select(CompanyCreditNoteRow.job_id, CompanyCreditNoteRow.line_index, func.sum(CompanyCreditNoteRow.amount_fen))
        .where(CompanyCreditNoteRow.company_id == company)
        .group_by(CompanyCreditNoteRow.job_id, CompanyCreditNoteRow.line_index)).all()}


def invoiced_lines(session: Session, company: str) -> list[tuple[str, int, str, int]]:
    """The company's posted lines, each less its credit notes (a credit note, even one its region has
    not posted yet, takes its amount off the invoice), oldest first, a line credited in full left out:
    (job id, line index, home region, amount still invoiced)."""
    credited = credited_by_line(session, company)
    lines = []
    for job, index, region, amount in session.execute(
        select(CompanyRechargeLine.job_id, CompanyRechargeLine.line_index, CompanyRechargeLine.region_code,
               CompanyRechargeLine.amount_fen)
        .join(CompanyRechargeJobRow, CompanyRechargeJobRow.job_id == CompanyRechargeLine.job_id)
        .where(CompanyRechargeJobRow.company_id == company, CompanyRechargeLine.outcome == POSTED)
        .order_by(CompanyRechargeJobRow.created_at, CompanyRechargeJobRow.job_id, CompanyRechargeLine.line_index)).all():
        left = int(amount) - credited.get((job, int(index)), 0)
        if left > 0:
            lines.append((job, int(index), region, left))
    return lines


def _invoiced_lines(session: Session, company: str) -> list[tuple[str, int]]:
    """invoiced_lines as (home region, amount)."""
    return [(region, amount) for _, _, region, amount in invoiced_lines(session, company)]


def paid_by_region(session: Session, company: str) -> dict[str, int]:
    return {region: int(total) for region, total in session.execute(
        select(CompanyPaymentPartRow.region_code, func.sum(CompanyPaymentPartRow.amount_fen))
        .join(CompanyPaymentRow, CompanyPaymentRow.payment_id == CompanyPaymentPartRow.payment_id)
        .where(CompanyPaymentRow.company_id == company).group_by(CompanyPaymentPartRow.region_code)).all()}


def owed(session: Session, company: str) -> Owed:
    invoiced = sum(amount for _, amount in _invoiced_lines(session, company))
    paid = session.execute(select(func.coalesce(func.sum(CompanyPaymentRow.amount_fen), 0))
                           .where(CompanyPaymentRow.company_id == company)).scalar_one()
    return Owed(invoiced, int(paid))


def split(lines: list[tuple[str, int]], paid_by_region: dict[str, int], amount_fen: int) -> dict[str, int]:
    """``amount_fen`` over the regions, oldest unpaid lines first (pure; ``lines`` oldest first).

    A region's earlier payments cover its own oldest lines; the new amount then covers the lines
    still unpaid in line order, each line's part going to its region. Raises ValueError when the
    lines do not hold that much unpaid."""
    covered = dict(paid_by_region)
    parts: dict[str, int] = defaultdict(int)
    left = amount_fen
    for region, amount in lines:
        if left == 0:
            break
        already = min(covered.get(region, 0), amount)
        covered[region] = covered.get(region, 0) - already
        take = min(amount - already, left)
        if take > 0:
            parts[region] += take
            left -= take
    if left:
        raise ValueError(f"{format_fen(left)} more than the lines hold unpaid")
    return dict(sorted(parts.items()))


def _fingerprint(request: companies_pb2.RecordCompanyPaymentRequest) -> str:
    asked = [request.company_id, request.amount_fen, request.reference]
    return hashlib.sha256(json.dumps(asked, ensure_ascii=False).encode()).hexdigest()


def record_company_payment(session_factory: sessionmaker[Session],
                           request: companies_pb2.RecordCompanyPaymentRequest) -> companies_pb2.RecordCompanyPaymentResponse:
    validate_request_id(request.request_id)
    company = company_id(request.company_id)
    if request.amount_fen <= 0:
        raise InvalidArgument("amount_fen", "must be a positive number of fen")
    reference = optional_text("reference", request.reference, max_length=64)
    fingerprint = _fingerprint(request)
    for _ in range(2):  # a twin call with the same request id may commit first: then answer its payment
        with session_factory() as session:
            known = session.execute(select(CompanyPaymentRow)
                                    .where(CompanyPaymentRow.request_id == request.request_id)).scalar_one_or_none()
            if known is not None:
                if known.fingerprint != fingerprint:
                    raise AlreadyExists(f"request_id {request.request_id!r} already recorded payment {known.payment_id} "
                                        "of another company, amount or reference")
                return _answer(session, known)
        try:
            with session_factory.begin() as session:
                payment = _store(session, request, company, reference, fingerprint)
                return _answer(session, payment)
        except IntegrityError:
            continue
    raise AssertionError("unreachable: the request id's payment exists after a unique-key conflict")


def _store(session: Session, request: companies_pb2.RecordCompanyPaymentRequest, company: str, reference: str,
           fingerprint: str) -> CompanyPaymentRow:
    # The company's row locked: payments of one company are split one after the other.
    row = session.execute(select(CompanyRow).where(CompanyRow.company_id == company).with_for_update()).scalar_one_or_none()
    if row is None:
        raise NotFound(f"company_id: no company {company!r}")
    lines = _invoiced_lines(session, company)
    paid = paid_by_region(session, company)
    outstanding = sum(amount for _, amount in lines) - sum(paid.values())
    if request.amount_fen > outstanding:
        raise InvalidArgument("amount_fen", f"{format_fen(request.amount_fen)} is more than company {company} owes "
                                            f"({format_fen(outstanding)} outstanding)")
    parts = split(lines, paid, request.amount_fen)
    principal = current_principal()
    payment = CompanyPaymentRow(payment_id=new_id(), request_id=request.request_id, fingerprint=fingerprint,
                                company_id=company, amount_fen=request.amount_fen, reference=reference,
                                operator_id=principal.operator_id if principal is not None else "", created_at=utc_now())
    session.add(payment)
    session.flush()  # the request id's unique key first
    session.add_all([CompanyPaymentPartRow(payment_id=payment.payment_id, region_code=region, amount_fen=amount,
                                           transaction_id="", last_error="") for region, amount in parts.items()])
    audit_log.record(session, action=audit_log.rpc(SERVICE, "RecordCompanyPayment"), target_type="company_payment",
                     target_id=payment.payment_id, place=Place(region=row.home_region, franchisee=row.franchisee_id),
                     request_id=request.request_id, amount_fen=request.amount_fen,
                     after={"company_id": company, "reference": reference, "parts": parts,
                            "outstanding_after": format_fen(outstanding - request.amount_fen)})
    session.flush()
    return payment


def payment_message(session: Session, row: CompanyPaymentRow) -> companies_pb2.CompanyPayment:
    parts = session.execute(select(CompanyPaymentPartRow).where(CompanyPaymentPartRow.payment_id == row.payment_id)
                            .order_by(CompanyPaymentPartRow.region_code)).scalars().all()
    message = companies_pb2.CompanyPayment(
        payment_id=row.payment_id, company_id=row.company_id, amount_fen=row.amount_fen, reference=row.reference,
        parts=[companies_pb2.CompanyPaymentPart(region_code=part.region_code, amount_fen=part.amount_fen,
                                                transaction_id=part.transaction_id) for part in parts],
        posted=all(part.transaction_id for part in parts))
    message.created_at.FromDatetime(row.created_at)
    return message


def _answer(session: Session, row: CompanyPaymentRow) -> companies_pb2.RecordCompanyPaymentResponse:
    return companies_pb2.RecordCompanyPaymentResponse(payment=payment_message(session, row),
                                                      outstanding_fen=owed(session, row.company_id).outstanding_fen)
