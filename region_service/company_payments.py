"""A region's part of a company's payment (companies.proto CompanyOrderService.PostCompanyPayment, C6,
docs/adr/0045): one ``COMPANY_PAYMENT`` ledger transaction — debit the selling franchisee's
``CASH_COLLECTED``, credit its ``COMPANY_RECEIVABLE`` (principal) — and its ``CompanyPaymentPosted``
event, in the command's one transaction.

It is tied to no card: the row's ``card_number`` is empty and only system accounts move, so none of
post_transaction's card machinery (running balances, points lots, levels, receipt footer) applies;
the rows are written here directly. System accounts keep no running balance (docs/adr/0007), so
nothing is locked. The event is not a TransactionPosted, whose readers key balances, notices and the
store balance feed by card; it is keyed ``company:<company_id>`` on the postings topic.

The posting's request id is ``company-payment:<payment_id>`` (unique in ``ledger_transactions``): a
part sent again, under any request id, answers the first posting. HQ decides the split (it knows
what each region invoiced and what was paid), so the region trusts the amount; HQ is the only peer
allowed to call (chaincard.security.authz).
"""

from __future__ import annotations

from sqlalchemy import insert, select

from chaincard.db.base import table_of, utc_now
from chaincard.db.outbox import outbox_row
from chaincard.events import topics
from chaincard.events.envelope import wrap
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, check_balanced, transfer
from chaincard.v1 import companies_pb2, events_pb2
from region_service import validation
from region_service.ledger_store import system_account_id
from region_service.models import LedgerTransaction, OutboxMessage, PostingRecord
from region_service.posting import posting_message
from region_service.unit_of_work import RegionUnitOfWork

TRANSACTION_TYPE = "COMPANY_PAYMENT"
# Bounds the field only: HQ never sends more than the region's part of what the company owes.
MAX_PART_FEN = 100_000_000_000


def payment_key(payment_id: str) -> str:
    """The region posting's request id: one COMPANY_PAYMENT per (payment, region)."""
    return f"company-payment:{payment_id}"


def post_company_payment(uow: RegionUnitOfWork,
                         request: companies_pb2.PostCompanyPaymentRequest) -> companies_pb2.PostCompanyPaymentResponse:
    """Handler of PostCompanyPayment (through the region's command pipeline: one transaction)."""
    ctx, session = uow.region, uow.session
    payment_id = validation.require_text("payment_id", request.payment_id, max_length=36)
    company_id = validation.require_text("company_id", request.company_id, max_length=32)
    franchisee_id = validation.require_text("franchisee_id", request.franchisee_id, max_length=32)
    amount = validation.amount_fen("amount_fen", request.amount_fen, maximum=MAX_PART_FEN)
    key = payment_key(payment_id)
    done = session.execute(select(LedgerTransaction).where(LedgerTransaction.request_id == key)).scalar_one_or_none()
    if done is not None:
        return companies_pb2.PostCompanyPaymentResponse(transaction_id=done.transaction_id,
                                                        business_date=done.business_date.isoformat())
    cash = system_account_id(session, franchisee_id, SystemAccount.CASH_COLLECTED, Asset.STORED_VALUE_PRINCIPAL)
    receivable = system_account_id(session, franchisee_id, SystemAccount.COMPANY_RECEIVABLE, Asset.STORED_VALUE_PRINCIPAL)
    postings = transfer(Asset.STORED_VALUE_PRINCIPAL, amount, debit=cash, credit=receivable)
    check_balanced(postings)
    now = utc_now()
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=key, type=TRANSACTION_TYPE, card_number="", store_id="",
        acquiring_franchisee_id=franchisee_id, business_date=ctx.store_business_day(ctx.settings.business_time_zone, now),
        amount_fen=amount, principal_delta_fen=0, bonus_delta_fen=0, points_delta=0, principal_after_fen=0,
        bonus_after_fen=0, points_after=0, created_at=now,
        details={"company_id": company_id, "payment_id": payment_id, "operator_id": request.operator_id,
                 "reference": request.reference[:64]},
    )
    session.add(row)
    session.flush()
    session.add_all([PostingRecord(transaction_id=row.transaction_id, account_id=posting.account_id, asset=posting.asset,
                                   direction=posting.direction.value, amount=posting.amount) for posting in postings])
    event = events_pb2.CompanyPaymentPosted(
        transaction_id=row.transaction_id, payment_id=payment_id, company_id=company_id, franchisee_id=franchisee_id,
        region_code=ctx.region_code, business_date=row.business_date.isoformat(), amount_fen=amount,
        postings=[posting_message(posting) for posting in postings], operator_id=request.operator_id)
    event.occurred_at.FromDatetime(now)
    envelope = wrap(event, producer=ctx.producer_name, aggregate_id=f"company:{company_id}")
    session.execute(insert(table_of(OutboxMessage)), outbox_row(envelope, topic=topics.POSTINGS, key=f"company:{company_id}"))
    return companies_pb2.PostCompanyPaymentResponse(transaction_id=row.transaction_id,
                                                    business_date=row.business_date.isoformat())
