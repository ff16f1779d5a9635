"""A credit note on a company's invoiced recharge line (companies.proto CompanyOrderService.VoidCompanyLine,
C6, docs/adr/0045): all or part of the line's COMPANY_RECHARGE is voided and that principal goes back to
the selling franchisee's ``COMPANY_RECEIVABLE`` (the invoice is reduced), never to cash: no money
changed hands at a till.

A VOID like a till's recharge void (region_service.handlers.refunds.void_recharge), but any day and
with no store rule (HQ finance issues it). The amount (``amount_fen``; 0: the whole line) is taken
from the card's principal first, up to what the recharge put on the card, and then from what the
recharge paid of a debt the card owed (issue 21), which is owed again: so however a line is credited,
in one credit or several, the card gives back what it got and owes again what it paid. Refused when
the card's principal no longer holds its part (spent), or when the line's credits would sum to more
than the line. The VOID's amount and principal delta are the credit's, so settlement moves the
company's receivable and the recharge flow by exactly that. The event carries the company
(TransactionPosted.company_id), so settlement lowers what the company was invoiced. The posting key
is ``company-credit:<credit_id>`` (HQ's credit note; without one, ``company-credit:<job_id>:<line_index>``,
one credit per line as before partial credits): sent again, under any request id, it answers the first.
"""

from __future__ import annotations

from sqlalchemy import func, select

from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument, NotFound
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.money import format_fen
from chaincard.receipts import amount_row
from chaincard.v1 import companies_pb2
from region_service import receivables, validation
from region_service.ledger_store import card_account_ids, card_balances, system_account_id
from region_service.models import LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import lock_card_accounts, lock_cards
from region_service.unit_of_work import RegionUnitOfWork

COMPANY_RECHARGE = "COMPANY_RECHARGE"
MAX_REASON = 200


def credit_key(job_id: str, line_index: int, credit_id: str = "") -> str:
    """The region posting's request id: one posting per HQ credit note (per line without one)."""
    return f"company-credit:{credit_id}" if credit_id else f"company-credit:{job_id}:{line_index}"


def card_part(line_principal_fen: int, owed_paid_fen: int, credited_before_fen: int, amount_fen: int) -> int:
    """How much of a credit of ``amount_fen`` leaves the card's principal (pure); the rest is owed
    again. The card's part of a line (``line_principal_fen - owed_paid_fen``) is credited first, so
    after credits summing to C the card has given back ``min(C, card's part)``."""
    on_card = line_principal_fen - owed_paid_fen
    return min(credited_before_fen + amount_fen, on_card) - min(credited_before_fen, on_card)


def void_company_line(uow: RegionUnitOfWork,
                      request: companies_pb2.VoidCompanyLineRequest) -> companies_pb2.VoidCompanyLineResponse:
    """Handler of VoidCompanyLine (through the region's command pipeline: one transaction)."""
    ctx, session = uow.region, uow.session
    job_id = validation.require_text("job_id", request.job_id, max_length=36)
    company_id = validation.require_text("company_id", request.company_id, max_length=32)
    card_number = validation.card_number(request.card_number)
    reason = validation.optional_text("reason", request.reason, max_length=MAX_REASON)
    if request.amount_fen < 0:
        raise InvalidArgument("amount_fen", "must not be negative (0: the whole line)")
    credit_id = validation.optional_text("credit_id", request.credit_id, max_length=36)
    key = credit_key(job_id, request.line_index, credit_id)
    done = session.execute(select(LedgerTransaction).where(LedgerTransaction.request_id == key)).scalar_one_or_none()
    if done is None and credit_id:
        # A whole-line credit posted before credit notes had ids (one per line then) whose answer HQ
        # never recorded: HQ now sends it with its id; the line's old key answers it.
        legacy = credit_key(job_id, request.line_index)
        done = session.execute(select(LedgerTransaction).where(LedgerTransaction.request_id == legacy)).scalar_one_or_none()
    if done is not None:
        return _answer(done)
    original = session.get(LedgerTransaction, request.original_transaction_id)
    if original is None or original.card_number != card_number or original.type != COMPANY_RECHARGE \
            or original.request_id != f"company:{job_id}:{request.line_index}":
        raise NotFound(f"no company recharge {request.original_transaction_id!r} of line {request.line_index} "
                       f"of job {job_id} on card {card_number}")
    card = lock_cards(session, [card_number])[card_number]  # the line's credits one after the other
    principal = original.principal_delta_fen
    owed_paid = int(original.details.get("owed_paid_fen", 0))
    credited = int(session.execute(select(func.coalesce(func.sum(LedgerTransaction.amount_fen), 0)).where(
        LedgerTransaction.original_transaction_id == original.transaction_id,
        LedgerTransaction.type == "VOID")).scalar_one())
    amount = request.amount_fen or principal - credited
    if amount <= 0 or credited + amount > principal:
        raise FailedPrecondition(f"line {request.line_index} of job {job_id} ({format_fen(principal)}) has "
                                 f"{format_fen(principal - credited)} left to credit, not {format_fen(amount)}")
    from_card = card_part(principal, owed_paid, credited, amount)
    holds = card_balances(session, card_number).principal_fen
    if holds < from_card:
        raise FailedPrecondition(f"card {card_number} holds {format_fen(holds)} of principal, less than the "
                                 f"{format_fen(from_card)} to credit: part of its invoiced principal was already spent")
    accounts = card_account_ids(session, card_number)
    locked = lock_card_accounts(session, [card_number])
    seller = original.acquiring_franchisee_id
    receivable = system_account_id(session, seller, SystemAccount.COMPANY_RECEIVABLE, Asset.STORED_VALUE_PRINCIPAL)
    postings = [
        *transfer(Asset.STORED_VALUE_PRINCIPAL, from_card, debit=accounts[Asset.STORED_VALUE_PRINCIPAL],
                  credit=receivable),
        *receivables.owe(session, locked, card_number, Asset.STORED_VALUE_PRINCIPAL, amount - from_card,
                         credit=receivable),
    ]
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=key, type="VOID", card_number=card_number, store_id=original.store_id,
        acquiring_franchisee_id=seller, business_date=ctx.store_business_day(ctx.program.store(original.store_id).time_zone),
        amount_fen=amount, principal_delta_fen=-amount, bonus_delta_fen=0, points_delta=0,
        principal_after_fen=0, bonus_after_fen=0, points_after=0, original_transaction_id=original.transaction_id,
        created_at=utc_now(),
        details={"tenders": original.details.get("tenders", []), "reason": reason, "operator_id": request.operator_id,
                 "company_id": company_id, "credit_note": key, "credit_id": credit_id,
                 "from_card_fen": from_card, "owed_again_fen": amount - from_card},
    )
    record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=seller,
        receipt_title=f"CREDIT NOTE  {company_id}"[:32],
        receipt_items=[amount_row("Invoiced recharge voided", amount)],
        locked=locked, operator_id=request.operator_id, company_id=company_id,
    )
    return _answer(row)


def _answer(row: LedgerTransaction) -> companies_pb2.VoidCompanyLineResponse:
    return companies_pb2.VoidCompanyLineResponse(transaction_id=row.transaction_id, amount_fen=row.amount_fen,
                                                 business_date=row.business_date.isoformat())
