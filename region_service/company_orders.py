"""A chunk of a company's bulk recharge (companies.proto CompanyOrderService, C6, docs/adr/0045): the
lines of one HQ job whose cards this region homes, posted all-or-nothing in the command's one
transaction.

A new holder's line registers the member (the phone claimed at HQ under the line's key) and opens a
virtual card of the order's card type at the order's store, through the same handlers a till's
RegisterMember and OpenCard run. Then every line credits its card's principal as a
``COMPANY_RECHARGE`` paid by ``INVOICE``: debit the selling franchisee's ``COMPANY_RECEIVABLE``,
credit the card (what the card owes is paid first, as at a till). No recharge promotion applies: a
company's price is a contract matter. The V9 rules run with ``cash=False`` (an invoice is paid by
bank transfer) and the V5 store rule as at a till; there is no till role, and HQ finance placing the
order stands for a manager's approval.

Each line's key is ``company:<job_id>:<line_index>``: it is the ledger transaction's request id
(unique) and the phone claim's, so a chunk sent again (same request id or not) finds its lines
posted and answers them, opening no second card and posting nothing twice. Any refusal raises out
of the pipeline, which rolls the whole chunk back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import card_types, compliance, linked_cards
from chaincard.db.base import utc_now
from chaincard.errors import (
    AlreadyExists,
    ChainCardError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.money import format_fen
from chaincard.phones import normalise_phone
from chaincard.receipts import ReceiptItem, amount_row
from chaincard.v1 import cards_pb2, common_pb2, companies_pb2, members_pb2, transactions_pb2
from chaincard.v1 import program_config_pb2 as pc
from region_service import card_links, receivables, recharge_rules, validation
from region_service.handlers.cards import open_card, require_usable
from region_service.handlers.members import register_member
from region_service.ledger_store import system_account_id
from region_service.models import Card, LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import lock_payment_cards
from region_service.unit_of_work import RegionUnitOfWork

MAX_LINES_PER_CHUNK = 1000
# Bounds the field only (as RechargeCard's): the card type's V9 cap is far lower.
MAX_LINE_FEN = 100_000_000
TRANSACTION_TYPE = "COMPANY_RECHARGE"
INVOICE = "INVOICE"


def line_key(job_id: str, line_index: int) -> str:
    """A line's key: its ledger transaction's request id and its new holder's phone claim."""
    return f"company:{job_id}:{line_index}"


@dataclass(frozen=True)
class _Line:
    field: str  # "lines[i]" of the chunk, for refusals
    index: int  # the line's index in the HQ job
    card_number: str  # "" for a new card
    holder_name: str
    holder_phone: str
    amount_fen: int


def _read_lines(uow: RegionUnitOfWork, request: companies_pb2.PostCompanyOrderRequest) -> list[_Line]:
    here = uow.region.region_code
    if not request.lines:
        raise InvalidArgument("lines", f"is required (1 to {MAX_LINES_PER_CHUNK} lines)")
    if len(request.lines) > MAX_LINES_PER_CHUNK:
        raise InvalidArgument("lines", f"at most {MAX_LINES_PER_CHUNK} lines per chunk")
    lines: list[_Line] = []
    seen_indexes: set[int] = set()
    seen_cards: set[str] = set()
    seen_phones: set[str] = set()
    for position, chunk_line in enumerate(request.lines):
        field, line = f"lines[{position}]", chunk_line.line
        if chunk_line.line_index < 0 or chunk_line.line_index in seen_indexes:
            raise InvalidArgument(f"{field}.line_index", "must be a line index not given before in the chunk")
        seen_indexes.add(chunk_line.line_index)
        amount = validation.amount_fen(f"{field}.line.amount_fen", line.amount_fen, maximum=MAX_LINE_FEN)
        if line.card_number:
            number = validation.card_number(line.card_number, f"{field}.line.card_number")
            if uow.region.home_region_of(number) != here:
                raise InvalidArgument(f"{field}.line.card_number", f"card {number} is not homed in region {here}")
            if number in seen_cards:
                raise InvalidArgument(f"{field}.line.card_number", f"card {number} is named twice in the chunk")
            seen_cards.add(number)
            lines.append(_Line(field, chunk_line.line_index, number, "", "", amount))
            continue
        name = validation.require_text(f"{field}.line.holder_name", line.holder_name, max_length=64)
        phone = normalise_phone(line.holder_phone)
        if phone is None:
            raise InvalidArgument(f"{field}.line.holder_phone", "a new card needs the holder's mainland mobile number")
        if phone in seen_phones:
            raise InvalidArgument(f"{field}.line.holder_phone", "this phone is given twice in the chunk")
        seen_phones.add(phone)
        lines.append(_Line(field, chunk_line.line_index, "", name, phone, amount))
    return lines


def _naming_line(line: _Line, error: ChainCardError) -> ChainCardError:
    """``error`` (raised by a till handler about its own fields) told about the order's line instead."""
    text = f"{line.field} (order line {line.index}): {error.message}"
    if isinstance(error, InvalidArgument):
        return InvalidArgument(line.field, f"(order line {line.index}) {error.message}")
    for kind in (AlreadyExists, NotFound, PermissionDenied, FailedPrecondition):
        if isinstance(error, kind):
            return kind(text)
    return error


def post_company_order(uow: RegionUnitOfWork, request: companies_pb2.PostCompanyOrderRequest) -> companies_pb2.PostCompanyOrderResponse:
    """Handler of PostCompanyOrder (through the region's command pipeline: one transaction)."""
    ctx, session = uow.region, uow.session
    job_id = validation.require_text("job_id", request.job_id, max_length=36)
    company_id = validation.require_text("company_id", request.company_id, max_length=32)
    store = ctx.program.store(request.store_id)
    lines = _read_lines(uow, request)
    keys = {line.index: line_key(job_id, line.index) for line in lines}
    posted = {row.request_id: row for row in session.execute(
        select(LedgerTransaction).where(LedgerTransaction.request_id.in_(list(keys.values())))).scalars()}
    to_post = [line for line in lines if keys[line.index] not in posted]
    numbers = {line.index: line.card_number for line in to_post if line.card_number}
    members: dict[int, str] = {}
    if any(not line.card_number for line in to_post):
        card_type_code = validation.require_text("card_type_code", request.card_type_code, max_length=32)
        if store.region_code != ctx.region_code:
            raise InvalidArgument("store_id", f"new cards are opened at a store of region {ctx.region_code}, "
                                              f"and store {store.store_id} is in {store.region_code}")
        for line in to_post:
            if not line.card_number:
                numbers[line.index], members[line.index] = _open_for_holder(uow, line, keys[line.index], store.store_id,
                                                                            card_type_code, request.operator_id)
    results: dict[int, companies_pb2.CompanyOrderLinePosted] = {}
    if to_post:
        cards, locked = lock_payment_cards(session, sorted(numbers.values()))
        receivable = system_account_id(session, store.franchisee_id, SystemAccount.COMPANY_RECEIVABLE,
                                       Asset.STORED_VALUE_PRINCIPAL)
        business_date = ctx.store_business_day(store.time_zone)
        for line in to_post:
            number = numbers[line.index]
            card = cards.get(number)
            if card is None:
                raise NotFound(f"{line.field} (order line {line.index}): no card {number} in region {ctx.region_code}")
            try:
                require_usable(card)
                main_number = card_links.main_card_of(session, number)
                if main_number is not None:
                    raise linked_cards.not_rechargeable(number, main_number)
                card_types.rules_of(ctx.program.snapshot(), card.card_type_code).require_rechargeable()
            except ChainCardError as error:
                raise _naming_line(line, error) from error
            owed_paid = receivables.collectable(locked, number, Asset.STORED_VALUE_PRINCIPAL, line.amount_fen)
            before = locked.balances(number).principal_fen
            _check_rules(uow, line, card.card_type_code, card.member_id, store.store_id, before,
                         before + line.amount_fen - owed_paid)
            accounts = locked.ids(number)
            postings = [
                *receivables.collect(locked, number, Asset.STORED_VALUE_PRINCIPAL, owed_paid, debit=receivable),
                *transfer(Asset.STORED_VALUE_PRINCIPAL, line.amount_fen - owed_paid, debit=receivable,
                          credit=accounts[Asset.STORED_VALUE_PRINCIPAL]),
            ]
            row = LedgerTransaction(
                transaction_id=new_id(), request_id=keys[line.index], type=TRANSACTION_TYPE, card_number=number,
                store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=business_date,
                amount_fen=line.amount_fen, principal_delta_fen=line.amount_fen, bonus_delta_fen=0, points_delta=0,
                principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
                details={"tenders": [{"type": INVOICE, "amount_fen": line.amount_fen}], "company_id": company_id,
                         "job_id": job_id, "line_index": line.index, "operator_id": request.operator_id,
                         "owed_paid_fen": owed_paid},
            )
            record_transaction(
                ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
                tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_INVOICE, amount_fen=line.amount_fen)],
                receipt_title=f"COMPANY RECHARGE  {store.name}", receipt_items=_receipt(company_id, line.amount_fen, owed_paid),
                locked=locked, company_id=company_id,
            )
            results[line.index] = companies_pb2.CompanyOrderLinePosted(
                line_index=line.index, card_number=number, transaction_id=row.transaction_id,
                member_id=members.get(line.index) or card.member_id or "")
    for line in lines:
        if line.index not in results:
            results[line.index] = _answered(session, posted[keys[line.index]], line.index)
    return companies_pb2.PostCompanyOrderResponse(lines=[results[line.index] for line in lines])


def _open_for_holder(uow: RegionUnitOfWork, line: _Line, key: str, store_id: str, card_type_code: str,
                     operator_id: str) -> tuple[str, str]:
    """Register the holder and open their card (the till's own handlers, in this transaction):
    (card number, member id). A phone already a member's refuses the line: the company names that
    member's card to recharge it instead."""
    try:
        member = register_member(uow, members_pb2.RegisterMemberRequest(
            request_id=key, store_id=store_id, name=line.holder_name, phone=line.holder_phone,
            channel=common_pb2.REGISTRATION_CHANNEL_BATCH_IMPORT, operator_id=operator_id)).member
        card = open_card(uow, cards_pb2.OpenCardRequest(
            request_id=key, store_id=store_id, member_id=member.member_id, card_type_code=card_type_code,
            form=common_pb2.CARD_FORM_VIRTUAL, operator_id=operator_id)).card
    except ChainCardError as error:
        raise _naming_line(line, error) from error
    return card.card_number, member.member_id


def _check_rules(uow: RegionUnitOfWork, line: _Line, card_type_code: str, member_id: str | None, store_id: str,
                 principal_before_fen: int, principal_after_fen: int) -> None:
    """V5 and V9 for an invoiced line (chaincard.compliance): no till role, approved by HQ finance
    placing the order, never cash; the holder's name from the card's member."""
    snapshot = uow.region.program.snapshot()
    card_type = card_types.find(snapshot.card_types, card_type_code) or pc.CardType(code=card_type_code)
    real_name = recharge_rules.has_real_name(uow.session, member_id)
    try:
        compliance.check_recharge(card_type, compliance.Recharge(
            amount_fen=line.amount_fen, principal_before_fen=principal_before_fen, principal_after_fen=principal_after_fen,
            cash=False, real_name=real_name, store_id=store_id, role=None, manager_approved=True))
    except ChainCardError as error:
        raise _naming_line(line, error) from error


def _receipt(company_id: str, amount_fen: int, owed_paid_fen: int) -> list[ReceiptItem]:
    items = [amount_row("Recharged (principal)", amount_fen)]
    if owed_paid_fen:
        items.append(amount_row("Paid what card owed", owed_paid_fen))
    items.append(ReceiptItem(f"Invoiced to {company_id}"[:32], format_fen(amount_fen)))
    return items


def _answered(session: Session, row: LedgerTransaction, line_index: int) -> companies_pb2.CompanyOrderLinePosted:
    """A line posted by an earlier send: its card and transaction, and the card's holder."""
    member_id = session.execute(select(Card.member_id).where(Card.card_number == row.card_number)).scalar_one_or_none()
    return companies_pb2.CompanyOrderLinePosted(line_index=line_index, card_number=row.card_number,
                                                transaction_id=row.transaction_id, member_id=member_id or "")
