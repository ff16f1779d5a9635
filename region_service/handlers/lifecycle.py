"""Card lifecycle (C3) and PIN management (C4): one command handler per RPC.

Each handler runs in the region's command pipeline (``ctx.commands.run``: idempotent on
request_id, one transaction). It locks the card row (region_service.repository), asks the state
machine (region_service.card_states) whether the command is allowed — FAILED_PRECONDITION saying
why otherwise — and writes the change together with its CardStateChanged event, its audit entry
and, for replacement and closure, the ledger transaction that moves or settles the balances.

A command that checks a PIN (ChangePin, CloseCard) checks it on the card row it has locked, before
it writes anything else: a wrong PIN is counted and audited, and the command refused with
``CommitThenRefuse``, so the pipeline commits the count alone (ADR 0013, as checkout does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict, TypeVar

from google.protobuf.message import Message
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chaincard import card_types
from chaincard.commands import CommitThenRefuse
from chaincard.db.base import utc_now
from chaincard.errors import AlreadyExists, FailedPrecondition, InvalidArgument, PermissionDenied
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.ids import make_card_number, new_id
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.money import format_fen
from chaincard.pins import hash_pin, validate_pin
from chaincard.receipts import ReceiptItem, amount_row, render
from chaincard.v1 import cards_pb2, common_pb2, directory_pb2, events_pb2, transactions_pb2
from region_service import audit, card_links, card_states, pins, validation
from region_service.card_states import ACTIVE, CLOSED, EXPIRED, REPLACED
from region_service.context import RegionContext
from region_service.coupons.card_changes import move_for_replacement, void_for_closure
from region_service.handlers.cards import registered_physical_card
from region_service.ledger_store import (
    CARD_PURPOSE,
    CardBalances,
    card_accounts,
    card_balances,
    open_card_accounts,
    system_account_id,
)
from region_service.models import Card, LedgerAccount, LedgerTransaction, OutboxMessage, card_serial
from region_service.posting import record_transaction
from region_service.repository import RECEIVABLE_PURPOSE, claim_cards_due_for_expiry, load_card
from region_service.translate import card_message, enum_value
from region_service.unit_of_work import RegionUnitOfWork

RequestT = TypeVar("RequestT", bound=Message)
ResponseT = TypeVar("ResponseT", bound=Message)
# The commands that only move a card from one state to another (:func:`_change_state`).
_StateChangeRequest = (
    cards_pb2.ActivateCardRequest | cards_pb2.ReportCardLostRequest | cards_pb2.CancelCardLossRequest
    | cards_pb2.FreezeCardRequest | cards_pb2.UnfreezeCardRequest
)
# The commands that move a card's balances to a new card (:func:`_move_to_new_card`).
_NewCardRequest = cards_pb2.ReplaceCardRequest | cards_pb2.ReissueCardRequest
# The answer of a move to a new card (replacement or reissue): both carry the same fields.
NewCardResponseT = TypeVar("NewCardResponseT", cards_pb2.ReplaceCardResponse, cards_pb2.ReissueCardResponse)

MAX_REASON = 200

_REFUND_TENDERS = {
    common_pb2.TENDER_TYPE_CASH: "CASH",
    common_pb2.TENDER_TYPE_BANK_CARD: "BANK_CARD",
    common_pb2.TENDER_TYPE_MOBILE_PAY: "MOBILE_PAY",
}


# ---- shared pieces ---------------------------------------------------------------------------------

def card_view(session: Session, card: Card, region_code: str) -> common_pb2.Card:
    """The card as callers see it, with its PIN flags and replacement links."""
    return card_message(card, region_code, card_balances(session, card.card_number))


def _optional_store(ctx: RegionContext, store_id: str) -> directory_pb2.Store | None:
    return ctx.program.store(store_id) if store_id else None


def _reason(value: str, *, required: bool) -> str:
    if required:
        return validation.require_text("reason", value, max_length=MAX_REASON)
    return validation.optional_text("reason", value, max_length=MAX_REASON)


def _announce_state(
    ctx: RegionContext, session: Session, card: Card, previous: str, *, reason: str, operator_id: str, store_id: str
) -> None:
    add_event(
        session, OutboxMessage, topic=topics.CARDS, key=card.card_number, producer=ctx.producer_name,
        payload=events_pb2.CardStateChanged(
            card_number=card.card_number,
            previous_state=enum_value(common_pb2.CardState, "CARD_STATE_", previous),
            state=enum_value(common_pb2.CardState, "CARD_STATE_", card.state),
            reason=reason,
            operator_id=operator_id,
            store_id=store_id,
            replaced_by_card_number=card.replaced_by_card_number or "",
        ),
    )


def _balances_json(balances: CardBalances) -> dict[str, int]:
    return {"principal_fen": balances.principal_fen, "bonus_fen": balances.bonus_fen, "points": balances.points}


def _change_state(uow: RegionUnitOfWork, request: _StateChangeRequest, transition: card_states.Transition, *, reason: str) -> common_pb2.Card:
    """Move the card by ``transition``, with its event and audit entry; the card as it is now."""
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    operator_id = validation.optional_text("operator_id", request.operator_id)
    card = load_card(session, card_number, for_update=True)
    card_states.require_transition(card, transition, utc_now())
    previous = card.state
    card.state = transition.target
    session.flush()
    _announce_state(ctx, session, card, previous, reason=reason, operator_id=operator_id, store_id=store_id)
    audit.record(
        session, ctx, action=transition.action, target_type="card", target_id=card_number,
        operator_id=operator_id, store_id=store_id, franchisee_id=card.issuing_franchisee_id,
        request_id=request.request_id, reason=reason, before={"state": previous}, after={"state": card.state},
    )
    return card_view(session, card, ctx.region_code)


# ---- state changes ---------------------------------------------------------------------------------

def activate_card(uow: RegionUnitOfWork, request: cards_pb2.ActivateCardRequest) -> cards_pb2.ActivateCardResponse:
    return cards_pb2.ActivateCardResponse(card=_change_state(uow, request, card_states.ACTIVATE, reason=""))


def report_card_lost(uow: RegionUnitOfWork, request: cards_pb2.ReportCardLostRequest) -> cards_pb2.ReportCardLostResponse:
    reason = _reason(request.reason, required=False)
    return cards_pb2.ReportCardLostResponse(card=_change_state(uow, request, card_states.REPORT_LOST, reason=reason))


def cancel_card_loss(uow: RegionUnitOfWork, request: cards_pb2.CancelCardLossRequest) -> cards_pb2.CancelCardLossResponse:
    reason = _reason(request.reason, required=False)
    return cards_pb2.CancelCardLossResponse(card=_change_state(uow, request, card_states.CANCEL_LOSS, reason=reason))


def freeze_card(uow: RegionUnitOfWork, request: cards_pb2.FreezeCardRequest) -> cards_pb2.FreezeCardResponse:
    reason = _reason(request.reason, required=True)
    return cards_pb2.FreezeCardResponse(card=_change_state(uow, request, card_states.FREEZE, reason=reason))


def unfreeze_card(uow: RegionUnitOfWork, request: cards_pb2.UnfreezeCardRequest) -> cards_pb2.UnfreezeCardResponse:
    reason = _reason(request.reason, required=True)
    return cards_pb2.UnfreezeCardResponse(card=_change_state(uow, request, card_states.UNFREEZE, reason=reason))


# ---- renewal (续期, C1) -------------------------------------------------------------------------------

# What may be renewed: a working card near its end, or one the expiry job already marked EXPIRED.
# A lost, frozen or inactive card is dealt with first (cancel the loss, unfreeze, activate).
_RENEWABLE_STATES = frozenset({ACTIVE, EXPIRED})


def renew_card(uow: RegionUnitOfWork, request: cards_pb2.RenewCardRequest) -> cards_pb2.RenewCardResponse:
    """Extend the card's validity by its type's rule (chaincard.card_types.renewed_expiry); an
    EXPIRED card is ACTIVE again, announced like any state change. Audited; once per request_id."""
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    reason = _reason(request.reason, required=False)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    operator_id = validation.optional_text("operator_id", request.operator_id)
    card = load_card(session, card_number, for_update=True)
    card_states.require_state(card, _RENEWABLE_STATES, "renewed")
    previous_state, previous_expiry = card.state, card.expires_at
    card.expires_at = card_types.renewed_expiry(ctx.program.card_type(card.card_type_code), card_number, previous_expiry,
                                                utc_now())
    card.state = ACTIVE
    session.flush()
    if previous_state != ACTIVE:
        _announce_state(ctx, session, card, previous_state, reason=reason or "renewed", operator_id=operator_id,
                        store_id=store_id)
    audit.record(
        session, ctx, action="card.renew", target_type="card", target_id=card_number,
        operator_id=operator_id, store_id=store_id, franchisee_id=card.issuing_franchisee_id,
        request_id=request.request_id, reason=reason,
        before={"state": previous_state, "expires_at": previous_expiry.isoformat() if previous_expiry else None},
        after={"state": card.state, "expires_at": card.expires_at.isoformat()},
    )
    response = cards_pb2.RenewCardResponse(card=card_view(session, card, ctx.region_code))
    if previous_expiry is not None:
        response.previous_expires_at.FromDatetime(previous_expiry)
    return response


# ---- replacement (换卡) and reissue (补卡) ------------------------------------------------------------

def _new_physical_card(ctx: RegionContext, request: _NewCardRequest) -> tuple[str, card_states.StockEntry] | None:
    """The pre-printed number the balances move to, with its entry in HQ's card directory; None
    for a new virtual card. Resolved before the card is locked: it may call HQ."""
    form = request.form or common_pb2.CARD_FORM_VIRTUAL
    if form == common_pb2.CARD_FORM_VIRTUAL:
        if request.new_physical_card_number:
            raise InvalidArgument("new_physical_card_number", "must be empty when the new card is virtual")
        return None
    if form != common_pb2.CARD_FORM_PHYSICAL:
        raise InvalidArgument("form", "must be CARD_FORM_VIRTUAL or CARD_FORM_PHYSICAL")
    number = validation.card_number(request.new_physical_card_number, "new_physical_card_number")
    return number, registered_physical_card(ctx, number, replacing=True)


def _card_account_for(session: Session, card_number: str, asset: str, accounts: dict[str, LedgerAccount]) -> str:
    if asset not in accounts:
        account = LedgerAccount(
            account_id=new_id(), purpose=CARD_PURPOSE, card_number=card_number, franchisee_id="", asset=asset,
            balance=0, debits_posted=0, credits_posted=0,
        )
        session.add(account)
        session.flush()
        accounts[asset] = account
    return accounts[asset].account_id


def _transfer_postings(session: Session, old_number: str, new_number: str) -> tuple[list[Posting], dict[str, int]]:
    """Postings that move every balance of the old card's accounts (any asset) to the new card."""
    old_accounts = card_accounts(session, old_number)
    new_accounts = card_accounts(session, new_number)
    postings: list[Posting] = []
    moved: dict[str, int] = {}
    for asset in sorted(old_accounts):
        balance = old_accounts[asset].balance
        if balance == 0:
            continue
        old_id = old_accounts[asset].account_id
        new_account = _card_account_for(session, new_number, asset, new_accounts)
        if balance > 0:
            postings += transfer(asset, balance, debit=old_id, credit=new_account)
        else:  # an overdrawn balance (offline advice) follows the holder too
            postings += transfer(asset, -balance, debit=new_account, credit=old_id)
        moved[asset] = balance
    return postings, moved


def _owed_transfer_postings(session: Session, old_number: str, new_number: str) -> tuple[list[Posting], dict[str, int]]:
    """Postings that move what the old card owes (its receivables, issue 21) to the new card: the
    debt follows the holder, as the balances do."""
    postings: list[Posting] = []
    owed: dict[str, int] = {}
    receivables = session.execute(
        select(LedgerAccount).where(LedgerAccount.card_number == old_number, LedgerAccount.purpose == RECEIVABLE_PURPOSE)
        .order_by(LedgerAccount.asset).execution_options(populate_existing=True)
    ).scalars().all()
    for account in receivables:
        if account.balance >= 0:
            continue
        successor = LedgerAccount(account_id=new_id(), purpose=RECEIVABLE_PURPOSE, card_number=new_number, franchisee_id="",
                                  asset=account.asset, balance=0, debits_posted=0, credits_posted=0)
        session.add(successor)
        session.flush()
        postings += transfer(account.asset, -account.balance, debit=successor.account_id, credit=account.account_id)
        owed[account.asset] = -account.balance
    return postings, owed


class _MoveAuditFields(TypedDict):
    """What the two audit entries of a move to a new card (old card, new card) share."""

    operator_id: str
    store_id: str
    franchisee_id: str
    request_id: str
    reason: str
    amount_fen: int


def _move_to_new_card(
    uow: RegionUnitOfWork, request: _NewCardRequest,
    transition: card_states.Transition, *, title: str, response_type: type[NewCardResponseT],
) -> NewCardResponseT:
    ctx, session = uow.region, uow.session
    old_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    reason = _reason(request.reason, required=False)
    physical = _new_physical_card(ctx, request)
    region = ctx.program.region(ctx.region_code)

    now = utc_now()
    old = load_card(session, old_number, for_update=True)
    card_states.require_transition(old, transition, now)
    card_links.require_unlinked(session, old_number, "moved to a new card")
    if physical is not None:
        physical_number, stock = physical
        card_states.require_stock_of(physical_number, stock, franchisee_id=old.issuing_franchisee_id,
                                     card_type_code=old.card_type_code, replacing=old_number)
        if session.get(Card, physical_number) is not None:
            raise AlreadyExists(f"card {physical_number} is already issued")
        new_number = physical_number
    else:
        new_number = make_card_number(region.card_prefix, session.execute(select(card_serial.next_value())).scalar_one())
    before_balances = card_balances(session, old_number)
    new = Card(
        card_number=new_number,
        member_id=old.member_id,
        card_type_code=old.card_type_code,
        form="PHYSICAL" if physical is not None else "VIRTUAL",
        state=ACTIVE,
        level_code=old.level_code,
        # The level's grace period runs on from the old card (docs/adr/0027).
        level_since=old.level_since or old.opened_at,
        # The liability stays with the franchisee that issued the original card.
        issuing_franchisee_id=old.issuing_franchisee_id,
        issuing_store_id=old.issuing_store_id,
        opened_at=now,
        # A new number is not a new validity period.
        expires_at=old.expires_at,
        # The holder keeps the PIN, and a lock or failure count is not escaped by a new number.
        pin_hash=old.pin_hash,
        failed_pin_attempts=old.failed_pin_attempts,
        pin_locked_until=old.pin_locked_until,
        replaces_card_number=old_number,
    )
    session.add(new)
    open_card_accounts(session, new_number)
    session.flush()
    previous = old.state
    old.state = transition.target
    old.replaced_by_card_number = new_number
    session.flush()

    postings, moved = _transfer_postings(session, old_number, new_number)
    owed_postings, owed_moved = _owed_transfer_postings(session, old_number, new_number)
    postings += owed_postings
    transaction: common_pb2.Transaction | None = None
    if postings:
        principal = moved.get(Asset.STORED_VALUE_PRINCIPAL, 0)
        bonus = moved.get(Asset.STORED_VALUE_BONUS, 0)
        points = moved.get(Asset.POINTS, 0)
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request.request_id, type="BALANCE_TRANSFER", card_number=new_number,
            store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id,
            business_date=ctx.store_business_day(store.time_zone),
            amount_fen=principal + bonus, principal_delta_fen=principal, bonus_delta_fen=bonus, points_delta=points,
            principal_after_fen=0, bonus_after_fen=0, points_after=0,
            details={"from_card_number": old_number, "to_card_number": new_number, "moved": moved, "reason": reason,
                     **({"owed_moved": owed_moved} if owed_moved else {})},
            created_at=now,
        )
        recorded = record_transaction(
            ctx, session, row=row, postings=postings, card=new, acquiring_franchisee_id=store.franchisee_id,
            receipt_title=f"{title}  {store.name}",
            receipt_items=[
                ReceiptItem("From card", f"...{old_number[-4:]}"),
                amount_row("Principal moved", principal),
                amount_row("Bonus moved", bonus),
                ReceiptItem("Points moved", str(points)),
            ],
        )
        transaction = recorded.transaction

    add_event(
        session, OutboxMessage, topic=topics.CARDS, key=new_number, producer=ctx.producer_name,
        payload=events_pb2.CardOpened(card=card_view(session, new, ctx.region_code)),
    )
    coupons_moved = move_for_replacement(ctx, session, old_number, new_number, now=now)
    _announce_state(ctx, session, old, previous, reason=reason, operator_id=operator_id, store_id=store.store_id)
    common: _MoveAuditFields = {
        "operator_id": operator_id, "store_id": store.store_id, "franchisee_id": old.issuing_franchisee_id,
        "request_id": request.request_id, "reason": reason, "amount_fen": transaction.amount_fen if transaction else 0,
    }
    audit.record(
        session, ctx, action=transition.action, target_type="card", target_id=old_number,
        before={"state": previous, "balances": _balances_json(before_balances)},
        after={"state": REPLACED, "replaced_by_card_number": new_number, "balances": _balances_json(card_balances(session, old_number))},
        **common,
    )
    audit.record(
        session, ctx, action=f"{transition.action}.new_card", target_type="card", target_id=new_number,
        before=None,
        after={"state": ACTIVE, "replaces_card_number": old_number, "balances": _balances_json(card_balances(session, new_number)),
               **({"coupons_moved": coupons_moved} if coupons_moved else {})},
        **common,
    )
    response = response_type(
        old_card=card_view(session, old, ctx.region_code), new_card=card_view(session, new, ctx.region_code),
    )
    if transaction is not None:
        response.transaction.CopyFrom(transaction)
    return response


def replace_card(uow: RegionUnitOfWork, request: cards_pb2.ReplaceCardRequest) -> cards_pb2.ReplaceCardResponse:
    return _move_to_new_card(uow, request, card_states.REPLACE, title="CARD REPLACED", response_type=cards_pb2.ReplaceCardResponse)


def reissue_card(uow: RegionUnitOfWork, request: cards_pb2.ReissueCardRequest) -> cards_pb2.ReissueCardResponse:
    return _move_to_new_card(uow, request, card_states.REISSUE, title="CARD REISSUED", response_type=cards_pb2.ReissueCardResponse)


# ---- closure (注销) ----------------------------------------------------------------------------------

def close_card(uow: RegionUnitOfWork, request: cards_pb2.CloseCardRequest) -> cards_pb2.CloseCardResponse:
    """Principal paid back by the closing store (its franchisee's CASH_COLLECTED), bonus forfeited to
    the issuer's PROMOTION_EXPENSE, points to the issuer's POINTS_LIABILITY; the card becomes CLOSED.
    A wrong PIN (the holder's, when the card has one) is counted and the closure refused."""
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    tender = validation.enum_choice("refund_tender", request.refund_tender or common_pb2.TENDER_TYPE_CASH, _REFUND_TENDERS)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    reason = _reason(request.reason, required=False)
    if request.pin:
        validate_pin("pin", request.pin)

    now = utc_now()
    card = load_card(session, card_number, for_update=True)
    card_states.require_transition(card, card_states.CLOSE, now)
    card_links.require_unlinked(session, card_number, "closed")
    _require_right_pin(uow, card, PinCheck(
        card_number, request.pin, purpose="card closure", store_id=store.store_id, operator_id=operator_id,
        request_id=request.request_id,
    ), now)
    return _close(ctx, session, card, store, tender=tender, operator_id=operator_id, reason=reason,
                  request_id=request.request_id, now=now)


def _bought_by_a_company(session: Session, card_number: str) -> bool:
    """The card holds a company's invoiced recharge not credited back in full (a COMPANY_RECHARGE
    whose credit notes' VOIDs, region_service.company_credits, sum to less than its amount)."""
    voided = (select(LedgerTransaction.original_transaction_id.label("original"),
                     func.sum(LedgerTransaction.amount_fen).label("amount"))
              .where(LedgerTransaction.card_number == card_number, LedgerTransaction.type == "VOID",
                     LedgerTransaction.original_transaction_id.is_not(None))
              .group_by(LedgerTransaction.original_transaction_id).subquery())
    return session.execute(
        select(LedgerTransaction.transaction_id)
        .outerjoin(voided, voided.c.original == LedgerTransaction.transaction_id)
        .where(LedgerTransaction.card_number == card_number, LedgerTransaction.type == "COMPANY_RECHARGE",
               func.coalesce(voided.c.amount, 0) < LedgerTransaction.amount_fen)
        .limit(1)).first() is not None


def _close(
    ctx: RegionContext,
    session: Session,
    card: Card,
    store: directory_pb2.Store,
    *,
    tender: str,
    operator_id: str,
    reason: str,
    request_id: str,
    now: datetime,
) -> cards_pb2.CloseCardResponse:
    accounts = card_accounts(session, card.card_number)
    others = sorted(asset for asset, account in accounts.items() if account.balance and asset not in (
        Asset.STORED_VALUE_PRINCIPAL, Asset.STORED_VALUE_BONUS, Asset.POINTS))
    if others:
        raise FailedPrecondition(f"card {card.card_number} still holds {', '.join(others)}; closing such cards is not supported yet")
    held = card_balances(session, card.card_number)
    if min(held.principal_fen, held.bonus_fen, held.points) < 0 or held.owed_fen or held.points_owed:
        raise FailedPrecondition(f"card {card.card_number} owes {held.owed_fen} fen and {held.points_owed} points; "
                                 "recharge or write it off before closing the card")

    def card_account(asset: str) -> str:
        return accounts[asset].account_id

    if held.principal_fen and _bought_by_a_company(session, card.card_number):
        # Its principal was (at least partly) paid by a company's invoice (C6, docs/adr/0045): it goes
        # back to the company's invoice by HQ's credit note, never out of the till.
        raise FailedPrecondition(f"card {card.card_number} holds principal a company bought by invoice: it is paid "
                                 "back to the company by HQ finance's credit note (chaincard company credit), not at "
                                 "a till; credit it, spend it or transfer it first")
    issuer = card.issuing_franchisee_id
    postings: list[Posting] = []
    if held.principal_fen:
        cash = system_account_id(session, store.franchisee_id, SystemAccount.CASH_COLLECTED, Asset.STORED_VALUE_PRINCIPAL)
        postings += transfer(Asset.STORED_VALUE_PRINCIPAL, held.principal_fen, debit=card_account(Asset.STORED_VALUE_PRINCIPAL), credit=cash)
    if held.bonus_fen:
        expense = system_account_id(session, issuer, SystemAccount.PROMOTION_EXPENSE, Asset.STORED_VALUE_BONUS)
        postings += transfer(Asset.STORED_VALUE_BONUS, held.bonus_fen, debit=card_account(Asset.STORED_VALUE_BONUS), credit=expense)
    if held.points:
        liability = system_account_id(session, issuer, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
        postings += transfer(Asset.POINTS, held.points, debit=card_account(Asset.POINTS), credit=liability)

    items = [
        amount_row("Principal refunded", held.principal_fen),
        ReceiptItem(f"Paid back by {tender.lower()}", format_fen(held.principal_fen)),
        amount_row("Bonus forfeited", held.bonus_fen),
        ReceiptItem("Points forfeited", str(held.points)),
    ]
    title = f"CARD CLOSED  {store.name}"
    transaction: common_pb2.Transaction | None = None
    if postings:
        tenders = [transactions_pb2.AppliedTender(
            type=enum_value(common_pb2.TenderType, "TENDER_TYPE_", tender), amount_fen=held.principal_fen)] if held.principal_fen else []
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request_id, type="CARD_CLOSURE", card_number=card.card_number,
            store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=ctx.store_business_day(store.time_zone),
            amount_fen=held.principal_fen, principal_delta_fen=-held.principal_fen, bonus_delta_fen=-held.bonus_fen,
            points_delta=-held.points, principal_after_fen=0, bonus_after_fen=0, points_after=0,
            details={
                "refund_tender": tender, "principal_refunded_fen": held.principal_fen,
                "bonus_forfeited_fen": held.bonus_fen, "points_forfeited": held.points, "reason": reason,
                "tenders": [{"type": tender, "amount_fen": held.principal_fen}] if held.principal_fen else [],
            },
            created_at=now,
        )
        recorded = record_transaction(
            ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
            tenders=tenders, receipt_title=title, receipt_items=items,
        )
        transaction, receipt = recorded.transaction, recorded.receipt
    else:
        lines = render(title, [*items, ReceiptItem("-"), ReceiptItem(f"Card ...{card.card_number[-4:]}", "closed")])
        receipt = [common_pb2.ReceiptLine(text=line) for line in lines]

    previous = card.state
    card.state = CLOSED
    session.flush()
    coupons_voided = void_for_closure(ctx, session, card.card_number, operator_id=operator_id, now=now)
    _announce_state(ctx, session, card, previous, reason=reason, operator_id=operator_id, store_id=store.store_id)
    audit.record(
        session, ctx, action="card.close", target_type="card", target_id=card.card_number,
        operator_id=operator_id, store_id=store.store_id, franchisee_id=issuer, request_id=request_id, reason=reason,
        before={"state": previous, "balances": _balances_json(held)},
        after={"state": CLOSED, "balances": _balances_json(card_balances(session, card.card_number)), "refund_tender": tender,
               **({"coupons_voided": coupons_voided} if coupons_voided else {})},
        amount_fen=held.principal_fen,
    )
    response = cards_pb2.CloseCardResponse(
        card=card_view(session, card, ctx.region_code), principal_refunded_fen=held.principal_fen,
        bonus_forfeited_fen=held.bonus_fen, points_forfeited=held.points, receipt=receipt,
    )
    if transaction is not None:
        response.transaction.CopyFrom(transaction)
    return response


# ---- expiry -----------------------------------------------------------------------------------------

def expire_due_cards(ctx: RegionContext, *, now: datetime | None = None, batch_size: int = 200) -> int:
    """Mark every non-final card whose validity has ended EXPIRED, with its event and audit entry.

    A periodic job, not a command. Safe to run on every replica at once (rows are claimed with SKIP
    LOCKED) and as often as you like (an expired card is not picked again). Balances stay: the
    principal remains refundable through CloseCard. Returns how many cards were expired.
    """
    now = now or utc_now()
    expired = 0
    while True:
        with ctx.session_factory() as session, session.begin():
            due = claim_cards_due_for_expiry(session, card_states.EXPIRABLE_STATES, now, batch_size)
            for card in due:
                previous = card.state
                card.state = EXPIRED
                session.flush()
                reason = f"validity ended {card.expires_at.isoformat() if card.expires_at else ''}"
                _announce_state(ctx, session, card, previous, reason="expired", operator_id="", store_id="")
                audit.record(
                    session, ctx, action="card.expire", actor=audit.SYSTEM, target_type="card",
                    target_id=card.card_number, franchisee_id=card.issuing_franchisee_id, reason=reason,
                    before={"state": previous}, after={"state": EXPIRED},
                )
        expired += len(due)
        if len(due) < batch_size:
            return expired


# ---- PIN (C4) ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PinCheck:
    """A PIN a command checks on a card, and what its audit entry says if it is wrong."""

    card_number: str
    pin: str
    purpose: str
    field: str = "pin"
    store_id: str = ""
    operator_id: str = ""
    request_id: str = ""

    def run(self, ctx: RegionContext, session: Session, card: Card, now: datetime) -> PermissionDenied | None:
        """region_service.pins.check_pin: None when right (or no PIN set), the refusal when wrong."""
        return pins.check_pin(ctx, session, card, self.pin, field=self.field, purpose=self.purpose, store_id=self.store_id,
                              operator_id=self.operator_id, request_id=self.request_id, now=now)


def _require_right_pin(uow: RegionUnitOfWork, card: Card, check: PinCheck, now: datetime) -> None:
    """Refuse the command on a wrong PIN, keeping the failure count and its audit entry: the card is
    locked, so no ResetPin can come between the check and the count (docs/adr/0013)."""
    refusal = check.run(uow.region, uow.session, card, now)
    if refusal is not None:
        raise CommitThenRefuse(refusal)


def _pin_response(
    uow: RegionUnitOfWork,
    card: Card,
    *,
    action: str,
    request: cards_pb2.SetPinRequest | cards_pb2.ChangePinRequest | cards_pb2.ResetPinRequest,
    before: dict[str, Any],
    operator_id: str,
    store_id: str,
    reason: str,
    now: datetime,
    self_service: bool = False,
) -> common_pb2.Card:
    """Audit a PIN change; the card as it is now."""
    ctx, session = uow.region, uow.session
    session.flush()
    audit.record(
        session, ctx, action=action, target_type="card", target_id=card.card_number, operator_id=operator_id,
        actor=audit.actor_of(operator_id, store_id, self_service=self_service), store_id=store_id,
        franchisee_id=card.issuing_franchisee_id, request_id=request.request_id, reason=reason,
        before=before, after=pins.pin_state(card, now),
    )
    return card_view(session, card, ctx.region_code)


def set_pin(uow: RegionUnitOfWork, request: cards_pb2.SetPinRequest) -> cards_pb2.SetPinResponse:
    ctx = uow.region
    card_number = validation.card_number(request.card_number)
    pin = validate_pin("pin", request.pin)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    operator_id = validation.optional_text("operator_id", request.operator_id)
    now = utc_now()
    card = load_card(uow.session, card_number, for_update=True)
    card_states.require_pin_changeable(card, "set")
    if card.pin_hash is not None:
        raise FailedPrecondition(f"card {card_number} already has a PIN; use ChangePin, or ResetPin after an identity check")
    before = pins.pin_state(card, now)
    card.pin_hash = hash_pin(pin)
    pins.clear_failures(card)
    return cards_pb2.SetPinResponse(card=_pin_response(
        uow, card, action="pin.set", request=request, before=before, operator_id=operator_id, store_id=store_id,
        reason="", now=now,
    ))


def change_pin(uow: RegionUnitOfWork, request: cards_pb2.ChangePinRequest) -> cards_pb2.ChangePinResponse:
    """A wrong old PIN is counted and the change refused."""
    ctx = uow.region
    card_number = validation.card_number(request.card_number)
    if not request.old_pin:
        raise InvalidArgument("old_pin", "is required")
    validate_pin("old_pin", request.old_pin)
    new_pin = validate_pin("new_pin", request.new_pin)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    operator_id = validation.optional_text("operator_id", request.operator_id)
    now = utc_now()
    card = load_card(uow.session, card_number, for_update=True)
    card_states.require_pin_changeable(card, "changed")
    if card.pin_hash is None:
        raise FailedPrecondition(f"card {card_number} has no PIN yet; set one with SetPin")
    before = pins.pin_state(card, now)
    _require_right_pin(uow, card, PinCheck(
        card_number, request.old_pin, field="old_pin", purpose="PIN change", store_id=store_id, operator_id=operator_id,
        request_id=request.request_id,
    ), now)
    if new_pin == request.old_pin:
        raise InvalidArgument("new_pin", "must differ from the current PIN")
    card.pin_hash = hash_pin(new_pin)
    return cards_pb2.ChangePinResponse(card=_pin_response(
        uow, card, action="pin.change", request=request, before=before, operator_id=operator_id, store_id=store_id,
        reason="", now=now, self_service=not store_id,
    ))


def reset_pin(uow: RegionUnitOfWork, request: cards_pb2.ResetPinRequest) -> cards_pb2.ResetPinResponse:
    ctx = uow.region
    card_number = validation.card_number(request.card_number)
    new_pin = validate_pin("new_pin", request.new_pin)
    operator_id = validation.require_text("operator_id", request.operator_id)
    reason = _reason(request.reason, required=True)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    now = utc_now()
    card = load_card(uow.session, card_number, for_update=True)
    card_states.require_pin_changeable(card, "reset")
    before = pins.pin_state(card, now)
    card.pin_hash = hash_pin(new_pin)
    pins.clear_failures(card)
    return cards_pb2.ResetPinResponse(card=_pin_response(
        uow, card, action="pin.reset", request=request, before=before, operator_id=operator_id, store_id=store_id,
        reason=reason, now=now,
    ))
