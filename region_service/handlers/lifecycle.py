"""Card lifecycle (C3) and PIN management (C4): one database transaction per command.

Every command is idempotent on request_id (the stored answer is replayed), locks the card row,
checks the transition is allowed (FAILED_PRECONDITION saying why otherwise), and commits the change
together with its CardStateChanged event, its audit entry and, for replacement and closure, the
ledger transaction that moves or settles the balances.

States:  INACTIVE ─activate→ ACTIVE ⇄ FROZEN (freeze/unfreeze)
         ACTIVE/FROZEN ─report lost→ LOST ─cancel loss→ ACTIVE
         ACTIVE ─replace→ REPLACED;  LOST ─reissue→ REPLACED   (balances move to a new number)
         ACTIVE/INACTIVE/LOST/EXPIRED ─close→ CLOSED   (a FROZEN card must be unfrozen first)
         any non-final state past expires_at ─expiry job→ EXPIRED
CLOSED, REPLACED and EXPIRED are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from google.protobuf.message import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.business_day import business_date
from chaincard.db.base import utc_now
from chaincard.db.idempotency import remember, replay_or_reserve, retry_on_conflict
from chaincard.errors import AlreadyExists, ChainCardError, FailedPrecondition, InvalidArgument
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.ids import make_card_number, new_id
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.money import format_fen
from chaincard.pins import hash_pin, validate_pin
from chaincard.receipts import ReceiptItem, amount_row, render
from chaincard.v1 import cards_pb2, common_pb2, directory_pb2, events_pb2, transactions_pb2
from region_service import audit, pins, validation
from region_service.context import RegionContext
from region_service.handlers.cards import load_card
from region_service.ledger_store import (
    CARD_PURPOSE,
    CardBalances,
    card_accounts,
    card_balances,
    open_card_accounts,
    system_account_id,
)
from region_service.models import (
    Card,
    IdempotencyKey,
    LedgerAccount,
    LedgerTransaction,
    OutboxMessage,
    card_serial,
)
from region_service.posting import record_transaction
from region_service.translate import card_message, enum_value

ResponseT = TypeVar("ResponseT", bound=Message)

ACTIVE, INACTIVE, LOST, FROZEN = "ACTIVE", "INACTIVE", "LOST", "FROZEN"
CLOSED, EXPIRED, REPLACED = "CLOSED", "EXPIRED", "REPLACED"
FINAL_STATES = frozenset({CLOSED, EXPIRED, REPLACED})
# A frozen card is on an operator's hold (e.g. suspected fraud): no money leaves it until unfrozen.
CLOSABLE_STATES = frozenset({ACTIVE, INACTIVE, LOST, EXPIRED})
EXPIRABLE_STATES = frozenset({ACTIVE, INACTIVE, LOST, FROZEN})
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


def _describe(card: Card) -> str:
    if card.state == REPLACED and card.replaced_by_card_number:
        return f"replaced by card {card.replaced_by_card_number}"
    return card.state.lower()


def _require_state(card: Card, allowed: frozenset[str], verb: str) -> None:
    if card.state not in allowed:
        choices = " or ".join(sorted(state.lower() for state in allowed))
        raise FailedPrecondition(
            f"card {card.card_number} is {_describe(card)}; it cannot be {verb} (only {choices} cards can)"
        )


def _require_not_expired(card: Card, verb: str, now: datetime) -> None:
    if card.expires_at is not None and card.expires_at <= now:
        raise FailedPrecondition(
            f"card {card.card_number} expired on {card.expires_at.date().isoformat()}; it cannot be {verb}"
        )


def _optional_store(ctx: RegionContext, store_id: str) -> directory_pb2.Store | None:
    return ctx.program.store(store_id) if store_id else None


def _reason(value: str, *, required: bool) -> str:
    if required:
        return validation.require_text("reason", value, max_length=MAX_REASON)
    return validation.optional_text("reason", value, max_length=MAX_REASON)


def _store_day(ctx: RegionContext, store: directory_pb2.Store) -> date:
    return business_date(
        utc_now(), store.time_zone or ctx.settings.business_time_zone, ctx.settings.business_day_cutoff
    )


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


@dataclass(frozen=True)
class _Transition:
    operation: str  # the RPC, for the idempotency key
    action: str  # the audit action
    verb: str  # "card … is lost; it cannot be <verb>"
    allowed: frozenset[str]
    target: str
    # Transitions that make a card usable again refuse a card whose validity has ended.
    refuse_expired: bool = False


_ACTIVATE = _Transition("ActivateCard", "card.activate", "activated", frozenset({INACTIVE}), ACTIVE, refuse_expired=True)
_REPORT_LOST = _Transition("ReportCardLost", "card.report_lost", "reported lost", frozenset({ACTIVE, FROZEN}), LOST)
_CANCEL_LOSS = _Transition(
    "CancelCardLoss", "card.cancel_loss", "restored from a loss report", frozenset({LOST}), ACTIVE, refuse_expired=True
)
_FREEZE = _Transition("FreezeCard", "card.freeze", "frozen", frozenset({ACTIVE}), FROZEN)
_UNFREEZE = _Transition("UnfreezeCard", "card.unfreeze", "unfrozen", frozenset({FROZEN}), ACTIVE, refuse_expired=True)


def _change_state(
    ctx: RegionContext,
    request: Any,
    transition: _Transition,
    response_type: type[ResponseT],
    *,
    reason: str,
) -> ResponseT:
    card_number = validation.card_number(request.card_number)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    operator_id = validation.optional_text("operator_id", request.operator_id)
    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, transition.operation, request, response_type)
        if replay is not None:
            return replay
        now = utc_now()
        card = load_card(session, card_number, for_update=True)
        _require_state(card, transition.allowed, transition.verb)
        if transition.refuse_expired:
            _require_not_expired(card, transition.verb, now)
        previous = card.state
        card.state = transition.target
        session.flush()
        _announce_state(ctx, session, card, previous, reason=reason, operator_id=operator_id, store_id=store_id)
        audit.record(
            session, ctx, action=transition.action, target_type="card", target_id=card_number,
            operator_id=operator_id, store_id=store_id, franchisee_id=card.issuing_franchisee_id,
            request_id=request.request_id, reason=reason, before={"state": previous}, after={"state": card.state},
        )
        response = response_type(card=card_view(session, card, ctx.region_code))
        remember(session, IdempotencyKey, transition.operation, request, response)
        return response


# ---- state changes ---------------------------------------------------------------------------------

@retry_on_conflict
def activate_card(ctx: RegionContext, request: cards_pb2.ActivateCardRequest) -> cards_pb2.ActivateCardResponse:
    return _change_state(ctx, request, _ACTIVATE, cards_pb2.ActivateCardResponse, reason="")


@retry_on_conflict
def report_card_lost(ctx: RegionContext, request: cards_pb2.ReportCardLostRequest) -> cards_pb2.ReportCardLostResponse:
    reason = _reason(request.reason, required=False)
    return _change_state(ctx, request, _REPORT_LOST, cards_pb2.ReportCardLostResponse, reason=reason)


@retry_on_conflict
def cancel_card_loss(ctx: RegionContext, request: cards_pb2.CancelCardLossRequest) -> cards_pb2.CancelCardLossResponse:
    reason = _reason(request.reason, required=False)
    return _change_state(ctx, request, _CANCEL_LOSS, cards_pb2.CancelCardLossResponse, reason=reason)


@retry_on_conflict
def freeze_card(ctx: RegionContext, request: cards_pb2.FreezeCardRequest) -> cards_pb2.FreezeCardResponse:
    reason = _reason(request.reason, required=True)
    return _change_state(ctx, request, _FREEZE, cards_pb2.FreezeCardResponse, reason=reason)


@retry_on_conflict
def unfreeze_card(ctx: RegionContext, request: cards_pb2.UnfreezeCardRequest) -> cards_pb2.UnfreezeCardResponse:
    reason = _reason(request.reason, required=True)
    return _change_state(ctx, request, _UNFREEZE, cards_pb2.UnfreezeCardResponse, reason=reason)


# ---- replacement (换卡) and reissue (补卡) ------------------------------------------------------------

def _new_physical_number(ctx: RegionContext, request: Any) -> str | None:
    """The pre-printed number the balances move to, checked against HQ's card directory; None for
    a new virtual card. Resolved before the transaction: it may call HQ."""
    form = request.form or common_pb2.CARD_FORM_VIRTUAL
    if form == common_pb2.CARD_FORM_VIRTUAL:
        if request.new_physical_card_number:
            raise InvalidArgument("new_physical_card_number", "must be empty when the new card is virtual")
        return None
    if form != common_pb2.CARD_FORM_PHYSICAL:
        raise InvalidArgument("form", "must be CARD_FORM_VIRTUAL or CARD_FORM_PHYSICAL")
    number = validation.card_number(request.new_physical_card_number, "new_physical_card_number")
    entry = ctx.card_directory.resolve(number)
    if entry is None or entry.form != common_pb2.CARD_FORM_PHYSICAL:
        raise FailedPrecondition(f"card {number} is not registered in the chain's card directory")
    if entry.home_region != ctx.region_code:
        raise FailedPrecondition(f"card {number} belongs to region {entry.home_region}'s stock, not to the card's home region")
    return number


def _check_physical_stock(ctx: RegionContext, number: str, old: Card) -> None:
    """The new plastic must be stock of the franchisee that holds the old card's liability, and of
    its card type: a replacement never moves liability between franchisees."""
    entry = ctx.card_directory.resolve(number)
    assert entry is not None
    if entry.franchisee_id != old.issuing_franchisee_id:
        raise FailedPrecondition(
            f"card {number} is stock of franchisee {entry.franchisee_id}; card {old.card_number} was issued by "
            f"{old.issuing_franchisee_id}"
        )
    if entry.card_type_code and entry.card_type_code != old.card_type_code:
        raise FailedPrecondition(f"card {number} was printed for card type {entry.card_type_code}, not {old.card_type_code}")


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


def _move_to_new_card(
    ctx: RegionContext,
    request: Any,
    *,
    operation: str,
    action: str,
    verb: str,
    allowed: frozenset[str],
    title: str,
    response_type: type[ResponseT],
) -> ResponseT:
    old_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    reason = _reason(request.reason, required=False)
    physical_number = _new_physical_number(ctx, request)
    region = ctx.program.region(ctx.region_code)

    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, operation, request, response_type)
        if replay is not None:
            return replay
        now = utc_now()
        old = load_card(session, old_number, for_update=True)
        _require_state(old, allowed, verb)
        _require_not_expired(old, verb, now)
        if physical_number is not None:
            _check_physical_stock(ctx, physical_number, old)
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
            form="PHYSICAL" if physical_number is not None else "VIRTUAL",
            state=ACTIVE,
            level_code=old.level_code,
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
        old.state = REPLACED
        old.replaced_by_card_number = new_number
        session.flush()

        postings, moved = _transfer_postings(session, old_number, new_number)
        transaction: common_pb2.Transaction | None = None
        if postings:
            principal = moved.get(Asset.STORED_VALUE_PRINCIPAL, 0)
            bonus = moved.get(Asset.STORED_VALUE_BONUS, 0)
            points = moved.get(Asset.POINTS, 0)
            row = LedgerTransaction(
                transaction_id=new_id(), request_id=request.request_id, type="BALANCE_TRANSFER", card_number=new_number,
                store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=_store_day(ctx, store),
                amount_fen=principal + bonus, principal_delta_fen=principal, bonus_delta_fen=bonus, points_delta=points,
                principal_after_fen=0, bonus_after_fen=0, points_after=0,
                details={"from_card_number": old_number, "to_card_number": new_number, "moved": moved, "reason": reason},
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
        _announce_state(ctx, session, old, previous, reason=reason, operator_id=operator_id, store_id=store.store_id)
        common = {
            "operator_id": operator_id, "store_id": store.store_id, "franchisee_id": old.issuing_franchisee_id,
            "request_id": request.request_id, "reason": reason, "amount_fen": transaction.amount_fen if transaction else 0,
        }
        audit.record(
            session, ctx, action=action, target_type="card", target_id=old_number,
            before={"state": previous, "balances": _balances_json(before_balances)},
            after={"state": REPLACED, "replaced_by_card_number": new_number, "balances": _balances_json(card_balances(session, old_number))},
            **common,
        )
        audit.record(
            session, ctx, action=f"{action}.new_card", target_type="card", target_id=new_number,
            before=None,
            after={"state": ACTIVE, "replaces_card_number": old_number, "balances": _balances_json(card_balances(session, new_number))},
            **common,
        )
        response = response_type(
            old_card=card_view(session, old, ctx.region_code), new_card=card_view(session, new, ctx.region_code),
        )
        if transaction is not None:
            response.transaction.CopyFrom(transaction)
        remember(session, IdempotencyKey, operation, request, response)
        return response


@retry_on_conflict
def replace_card(ctx: RegionContext, request: cards_pb2.ReplaceCardRequest) -> cards_pb2.ReplaceCardResponse:
    return _move_to_new_card(
        ctx, request, operation="ReplaceCard", action="card.replace", verb="replaced", allowed=frozenset({ACTIVE}),
        title="CARD REPLACED", response_type=cards_pb2.ReplaceCardResponse,
    )


@retry_on_conflict
def reissue_card(ctx: RegionContext, request: cards_pb2.ReissueCardRequest) -> cards_pb2.ReissueCardResponse:
    return _move_to_new_card(
        ctx, request, operation="ReissueCard", action="card.reissue", verb="reissued", allowed=frozenset({LOST}),
        title="CARD REISSUED", response_type=cards_pb2.ReissueCardResponse,
    )


# ---- closure (注销) ----------------------------------------------------------------------------------

@retry_on_conflict
def close_card(ctx: RegionContext, request: cards_pb2.CloseCardRequest) -> cards_pb2.CloseCardResponse:
    """Principal paid back by the closing store (its franchisee's CASH_COLLECTED), bonus forfeited to
    the issuer's PROMOTION_EXPENSE, points to the issuer's POINTS_LIABILITY; the card becomes CLOSED."""
    card_number = validation.card_number(request.card_number)
    store = ctx.program.store(request.store_id)
    tender = validation.enum_choice("refund_tender", request.refund_tender or common_pb2.TENDER_TYPE_CASH, _REFUND_TENDERS)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    reason = _reason(request.reason, required=False)
    if request.pin:
        validate_pin("pin", request.pin)

    refusal: ChainCardError | None = None
    response: cards_pb2.CloseCardResponse | None = None
    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "CloseCard", request, cards_pb2.CloseCardResponse)
        if replay is not None:
            return replay
        now = utc_now()
        card = load_card(session, card_number, for_update=True)
        if card.state == FROZEN:
            raise FailedPrecondition(f"card {card_number} is frozen; unfreeze it before closing it")
        _require_state(card, CLOSABLE_STATES, "closed")
        refusal = pins.check_pin(
            ctx, session, card, request.pin, purpose="card closure", store_id=store.store_id,
            operator_id=operator_id, request_id=request.request_id, now=now,
        )
        if refusal is None:
            response = _close(ctx, session, card, store, tender=tender, operator_id=operator_id, reason=reason,
                              request_id=request.request_id, now=now)
            remember(session, IdempotencyKey, "CloseCard", request, response)
    if refusal is not None:  # the wrong PIN was counted and committed above; nothing else was written
        raise refusal
    assert response is not None
    return response


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
    if min(held.principal_fen, held.bonus_fen, held.points) < 0:
        raise FailedPrecondition(f"card {card.card_number} is overdrawn; settle the balance before closing it")

    def card_account(asset: str) -> str:
        return accounts[asset].account_id

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
            type=common_pb2.TenderType.Value("TENDER_TYPE_" + tender), amount_fen=held.principal_fen)] if held.principal_fen else []
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request_id, type="CARD_CLOSURE", card_number=card.card_number,
            store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=_store_day(ctx, store),
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
    _announce_state(ctx, session, card, previous, reason=reason, operator_id=operator_id, store_id=store.store_id)
    audit.record(
        session, ctx, action="card.close", target_type="card", target_id=card.card_number,
        operator_id=operator_id, store_id=store.store_id, franchisee_id=issuer, request_id=request_id, reason=reason,
        before={"state": previous, "balances": _balances_json(held)},
        after={"state": CLOSED, "balances": _balances_json(card_balances(session, card.card_number)), "refund_tender": tender},
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

    Safe to run on every replica at once (rows are claimed with SKIP LOCKED) and as often as you
    like (an expired card is not picked again). Balances stay: the principal remains refundable
    through CloseCard. Returns how many cards were expired.
    """
    now = now or utc_now()
    expired = 0
    while True:
        with ctx.session_factory() as session, session.begin():
            due = session.execute(
                select(Card)
                .where(Card.state.in_(sorted(EXPIRABLE_STATES)), Card.expires_at.is_not(None), Card.expires_at <= now)
                .order_by(Card.expires_at, Card.card_number)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            ).scalars().all()
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

def _require_pin_changeable(card: Card, verb: str) -> None:
    if card.state in (CLOSED, REPLACED):
        raise FailedPrecondition(f"card {card.card_number} is {_describe(card)}; its PIN cannot be {verb}")


def _pin_response(
    ctx: RegionContext,
    session: Session,
    card: Card,
    *,
    action: str,
    operation: str,
    request: Any,
    response_type: type[ResponseT],
    before: dict[str, Any],
    operator_id: str,
    store_id: str,
    reason: str,
    now: datetime,
    self_service: bool = False,
) -> ResponseT:
    session.flush()
    audit.record(
        session, ctx, action=action, target_type="card", target_id=card.card_number, operator_id=operator_id,
        actor=audit.actor_of(operator_id, store_id, self_service=self_service), store_id=store_id,
        franchisee_id=card.issuing_franchisee_id, request_id=request.request_id, reason=reason,
        before=before, after=pins.pin_state(card, now),
    )
    response = response_type(card=card_view(session, card, ctx.region_code))
    remember(session, IdempotencyKey, operation, request, response)
    return response


@retry_on_conflict
def set_pin(ctx: RegionContext, request: cards_pb2.SetPinRequest) -> cards_pb2.SetPinResponse:
    card_number = validation.card_number(request.card_number)
    pin = validate_pin("pin", request.pin)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    operator_id = validation.optional_text("operator_id", request.operator_id)
    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "SetPin", request, cards_pb2.SetPinResponse)
        if replay is not None:
            return replay
        now = utc_now()
        card = load_card(session, card_number, for_update=True)
        _require_pin_changeable(card, "set")
        if card.pin_hash is not None:
            raise FailedPrecondition(f"card {card_number} already has a PIN; use ChangePin, or ResetPin after an identity check")
        before = pins.pin_state(card, now)
        card.pin_hash = hash_pin(pin)
        pins.clear_failures(card)
        return _pin_response(
            ctx, session, card, action="pin.set", operation="SetPin", request=request, response_type=cards_pb2.SetPinResponse,
            before=before, operator_id=operator_id, store_id=store_id, reason="", now=now,
        )


@retry_on_conflict
def change_pin(ctx: RegionContext, request: cards_pb2.ChangePinRequest) -> cards_pb2.ChangePinResponse:
    card_number = validation.card_number(request.card_number)
    if not request.old_pin:
        raise InvalidArgument("old_pin", "is required")
    validate_pin("old_pin", request.old_pin)
    new_pin = validate_pin("new_pin", request.new_pin)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    operator_id = validation.optional_text("operator_id", request.operator_id)

    refusal: ChainCardError | None = None
    response: cards_pb2.ChangePinResponse | None = None
    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "ChangePin", request, cards_pb2.ChangePinResponse)
        if replay is not None:
            return replay
        now = utc_now()
        card = load_card(session, card_number, for_update=True)
        _require_pin_changeable(card, "changed")
        if card.pin_hash is None:
            raise FailedPrecondition(f"card {card_number} has no PIN yet; set one with SetPin")
        before = pins.pin_state(card, now)
        refusal = pins.check_pin(
            ctx, session, card, request.old_pin, field="old_pin", purpose="PIN change", store_id=store_id,
            operator_id=operator_id, request_id=request.request_id, now=now,
        )
        if refusal is None:
            if new_pin == request.old_pin:
                raise InvalidArgument("new_pin", "must differ from the current PIN")
            card.pin_hash = hash_pin(new_pin)
            response = _pin_response(
                ctx, session, card, action="pin.change", operation="ChangePin", request=request,
                response_type=cards_pb2.ChangePinResponse, before=before, operator_id=operator_id, store_id=store_id,
                reason="", now=now, self_service=not store_id,
            )
    if refusal is not None:  # the wrong old PIN was counted and committed above
        raise refusal
    assert response is not None
    return response


@retry_on_conflict
def reset_pin(ctx: RegionContext, request: cards_pb2.ResetPinRequest) -> cards_pb2.ResetPinResponse:
    card_number = validation.card_number(request.card_number)
    new_pin = validate_pin("new_pin", request.new_pin)
    operator_id = validation.require_text("operator_id", request.operator_id)
    reason = _reason(request.reason, required=True)
    store = _optional_store(ctx, request.store_id)
    store_id = store.store_id if store else ""
    with ctx.session_factory() as session, session.begin():
        replay = replay_or_reserve(session, IdempotencyKey, "ResetPin", request, cards_pb2.ResetPinResponse)
        if replay is not None:
            return replay
        now = utc_now()
        card = load_card(session, card_number, for_update=True)
        _require_pin_changeable(card, "reset")
        before = pins.pin_state(card, now)
        card.pin_hash = hash_pin(new_pin)
        pins.clear_failures(card)
        return _pin_response(
            ctx, session, card, action="pin.reset", operation="ResetPin", request=request, response_type=cards_pb2.ResetPinResponse,
            before=before, operator_id=operator_id, store_id=store_id, reason=reason, now=now,
        )
