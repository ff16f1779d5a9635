"""Offline advices (X4, DESIGN §4): spends a store approved alone while its region was unreachable,
posted here once each, always, in the store's queue order.

An advice is idempotent on its advice_id (the original Checkout's request_id): the ledger
transaction carries it as its request_id, so an advice whose Checkout had in fact reached the
region before the link dropped (a DEADLINE_EXCEEDED that hid a success) finds that SPEND and is
answered DUPLICATE; an advice whose id names any other transaction (a till reused a request id) is
answered REJECTED, never taken for a duplicate. Advices are posted in the store's queue order. An advice the card's stored value no longer covers is posted anyway: the card
gives what it holds (down to zero: card accounts never go negative) and the shortfall is debited to
the card's own RECEIVABLE account — what the holder now owes, which the next recharge pays first
(issue 21, docs/adr/0018) — so the acquiring store is paid in full and the card is on the overdrawn
report until the debt is paid or written off (docs/adr/0011).

The coupons the store let the sale use (its offline answer's coupons) are redeemed with it, or, if
one was used by another sale meanwhile (or voided, or had expired), the sale is posted without that
coupon's flow and flagged: Transaction.coupon_conflicts, the acquiring store's loss
(region_service.advised_coupons, docs/adr/0025).

The count-card uses the store let the sale take (the checkout's COUNT_USES tenders) come out of
the card's packs as online, earliest expiry first; uses the card no longer holds (spent elsewhere
meanwhile) are owed by the card, never a negative count, and the answer is POSTED_OVERDRAWN with
count_use_shortfalls (region_service.advised_count_uses, docs/adr/0036). Time-pass uses are recorded.

A sale the store approved by a QR member code it verified offline carries the code: the posting
records it in used_member_codes (once: the advice is posted once), so an online use after is
refused. A code already used (online before the link returned, or by another store's offline sale
within its minute) does not stop the posting, a sale already made: the transaction's details keep
``member_code.replay_of`` (the request id of the first use), the result says member_code_replayed,
and a warning is logged, for review (docs/adr/0026).
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from chaincard import member_codes
from chaincard.checkout import receipt
from chaincard.checkout.request import count_use_intents
from chaincard.checkout.terms import split_rule
from chaincard.db.base import utc_now
from chaincard.db.idempotency import replay_or_reserve, retry_on_conflict, validate_request_id
from chaincard.errors import ChainCardError, InvalidArgument
from chaincard.ids import new_id
from chaincard.ledger import Asset, Posting, SystemAccount, transfer
from chaincard.money import format_fen
from chaincard.pricing import CountUseIntent, SplitRule, StoredValue, split_stored_value
from chaincard.receipts import ReceiptItem
from chaincard.v1 import common_pb2, store_sync_pb2, store_sync_pb2_grpc, transactions_pb2
from region_service import receivables, referral_awards, time_passes, validation
from region_service.advised_count_uses import settle_advised_uses, shortfall_of
from region_service.advised_coupons import COUPON_CONFLICTS, advised_terms, settle_advised_coupons
from region_service.context import RegionContext
from region_service.coupon_redemption import coupon_messages, details_of
from region_service.forwarding import CallOrigin, Forwarder
from region_service.handlers.cards import load_card
from region_service.handlers.store_sync import calling_store
from region_service.ledger_store import (
    CARD_ASSETS,
    CARD_PURPOSE,
    card_accounts,
    card_balances,
    system_account_id,
)
from region_service.member_codes import take_advised
from region_service.models import (
    Card,
    IdempotencyKey,
    LedgerAccount,
    LedgerTransaction,
    OfflineAdviceRecord,
)
from region_service.posting import record_transaction
from region_service.repository import lock_card_accounts
from region_service.translate import enum_short_name, transaction_message
from region_service.unit_of_work import RegionUnitOfWork

log = logging.getLogger(__name__)

MAX_ADVICES_PER_UPLOAD = 500
# Advices posted in one database transaction when all goes well (card rows stay locked until it commits).
ADVICES_PER_TRANSACTION = 25
# How many replacements (换卡/补卡) an advice follows to reach the card that holds the balance now.
MAX_REPLACEMENT_HOPS = 8
# When an advice may say it was approved: after the chain could have existed, and not later than a
# store clock running a day fast (a later one could not be given a business day, or only a wrong one).
EARLIEST_APPROVAL = datetime(2000, 1, 1, tzinfo=UTC)
APPROVAL_CLOCK_SKEW = timedelta(days=1)
_PAYABLE_OFFLINE = {
    common_pb2.TENDER_TYPE_STORED_VALUE, common_pb2.TENDER_TYPE_CASH, common_pb2.TENDER_TYPE_BANK_CARD,
    common_pb2.TENDER_TYPE_MOBILE_PAY, common_pb2.TENDER_TYPE_COUNT_USES,
}
POSTED = store_sync_pb2.ADVICE_OUTCOME_POSTED
# The transaction's details key of the member code an advice carried (docs/adr/0026).
MEMBER_CODE = "member_code"
POSTED_OVERDRAWN = store_sync_pb2.ADVICE_OUTCOME_POSTED_OVERDRAWN
DUPLICATE = store_sync_pb2.ADVICE_OUTCOME_DUPLICATE
RETRY_LATER = store_sync_pb2.ADVICE_OUTCOME_RETRY_LATER
REJECTED = store_sync_pb2.ADVICE_OUTCOME_REJECTED


# ---- checks ------------------------------------------------------------------------------------------
def _stored_value_taken(result: transactions_pb2.CheckoutResponse) -> tuple[int, int]:
    own = [t for t in result.tenders if t.type == common_pb2.TENDER_TYPE_STORED_VALUE]
    return sum(t.principal_fen for t in own), sum(t.bonus_fen for t in own)


def validate_advice(index: int, advice: store_sync_pb2.OfflineAdvice, store_id: str) -> None:
    """A well-formed advice, or INVALID_ARGUMENT naming the field. A correct agent never sends a bad one."""
    where = f"advices[{index}]"
    try:
        validate_request_id(advice.advice_id)
    except InvalidArgument as error:
        raise InvalidArgument(f"{where}.advice_id", error.message.split(": ", 1)[-1]) from error
    if advice.checkout.request_id != advice.advice_id:
        raise InvalidArgument(f"{where}.checkout.request_id", "must equal the advice_id")
    if advice.store_id != store_id:
        raise InvalidArgument(f"{where}.store_id", f"must be the uploading store {store_id}")
    if advice.sequence <= 0:
        raise InvalidArgument(f"{where}.sequence", "must be positive")
    if not advice.HasField("approved_at"):
        raise InvalidArgument(f"{where}.approved_at", "is required")
    try:
        approved_at = _moment(advice.approved_at)
    except (ValueError, OverflowError) as error:
        raise InvalidArgument(f"{where}.approved_at", "is not a valid moment") from error
    if not EARLIEST_APPROVAL <= approved_at <= datetime.now(UTC) + APPROVAL_CLOCK_SKEW:
        raise InvalidArgument(f"{where}.approved_at", f"must lie between {EARLIEST_APPROVAL:%Y-%m-%d} and a day from now "
                              "(is the store's clock right?)")
    validation.card_number(advice.checkout.card_number, f"{where}.checkout.card_number")
    result = advice.offline_result
    if result.points_redeemed or result.points_deduction_fen:
        raise InvalidArgument(f"{where}.offline_result.points_redeemed", "points are never redeemed offline")
    if result.points_earned < 0:
        raise InvalidArgument(f"{where}.offline_result.points_earned", "must not be negative")
    for position, tender in enumerate(result.tenders):
        field = f"{where}.offline_result.tenders[{position}]"
        if tender.type not in _PAYABLE_OFFLINE:
            raise InvalidArgument(f"{field}.type", "only stored value, count uses, cash, bank card and mobile pay are taken offline")
        if min(tender.amount_fen, tender.principal_fen, tender.bonus_fen) < 0:
            raise InvalidArgument(f"{field}.amount_fen", "must not be negative")
        if tender.type == common_pb2.TENDER_TYPE_STORED_VALUE and tender.principal_fen + tender.bonus_fen != tender.amount_fen:
            raise InvalidArgument(f"{field}.amount_fen", "must equal principal_fen + bonus_fen")
    if result.total_due_fen != sum(t.amount_fen for t in result.tenders):
        raise InvalidArgument(f"{where}.offline_result.total_due_fen", "must equal the sum of the tenders")
    named = set(advice.checkout.coupon_codes)
    seen: set[str] = set()
    for position, coupon in enumerate(result.coupons):
        field = f"{where}.offline_result.coupons[{position}]"
        if coupon.coupon_code not in named or coupon.coupon_code in seen:
            raise InvalidArgument(f"{field}.coupon_code", "must be one of the checkout's coupon_codes, once")
        if not 0 <= coupon.discount_fen <= result.subtotal_fen:
            raise InvalidArgument(f"{field}.discount_fen", "must be between 0 and the sale's subtotal_fen")
        seen.add(coupon.coupon_code)
    intents = _advised_intents(where, advice.checkout)
    for position, tender in enumerate(result.tenders):
        if tender.type == common_pb2.TENDER_TYPE_COUNT_USES and not intents:
            raise InvalidArgument(f"{where}.offline_result.tenders[{position}].type",
                                  "count uses were paid but the checkout names no COUNT_USES tender")
    if sum(_stored_value_taken(result)) == 0 and result.points_earned == 0 and not intents:
        raise InvalidArgument(f"{where}.offline_result", "moves nothing on the card: no stored value and no points")
    if advice.member_code:
        # Only its shape and card: the store verified its MAC and age offline, and the region's
        # secret may have changed since (the sale stands either way).
        code = member_codes.parse(advice.member_code, f"{where}.member_code")
        if code.card_number != advice.checkout.card_number:
            raise InvalidArgument(f"{where}.member_code", "must name the card in checkout.card_number")
        if not advice.HasField("member_code_verified_at"):
            raise InvalidArgument(f"{where}.member_code_verified_at", "is required with member_code")
        try:
            _moment(advice.member_code_verified_at)
        except (ValueError, OverflowError) as error:
            raise InvalidArgument(f"{where}.member_code_verified_at", "is not a valid moment") from error


def _advised_intents(where: str, checkout: transactions_pb2.CheckoutRequest) -> tuple[CountUseIntent, ...]:
    """The checkout's COUNT_USES tenders (docs/adr/0036), or INVALID_ARGUMENT naming the field."""
    try:
        return count_use_intents(checkout)
    except InvalidArgument as error:
        raise InvalidArgument(f"{where}.checkout.{error.field}", error.message.split(": ", 1)[-1]) from error


# ---- posting one advice ----------------------------------------------------------------------------
def _moment(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _current_card(session: Session, card_number: str) -> Card:
    """The card to post to, locked: the advised card, or the card that replaced it since."""
    card = load_card(session, card_number, for_update=True)
    for _ in range(MAX_REPLACEMENT_HOPS):
        if card.state != "REPLACED" or not card.replaced_by_card_number:
            break
        card = load_card(session, card.replaced_by_card_number, for_update=True)
    return card


@dataclass(frozen=True)
class _Take:
    principal_fen: int
    bonus_fen: int
    shortfall_fen: int


def _take(wanted: tuple[int, int], held_principal: int, held_bonus: int, rule: SplitRule) -> _Take:
    """What the card gives: the store's own principal/bonus split when the card still holds it, else
    everything it holds up to the amount (split by the chain's rule), the rest being the shortfall."""
    principal, bonus = wanted
    if principal <= held_principal and bonus <= held_bonus:
        return _Take(principal, bonus, 0)
    held = StoredValue(max(held_principal, 0), max(held_bonus, 0))
    taken = min(principal + bonus, held.total_fen)
    taken_principal, taken_bonus = split_stored_value(taken, held, rule) if taken else (0, 0)
    return _Take(taken_principal, taken_bonus, principal + bonus - taken)


def _receipt_items(advice: store_sync_pb2.OfflineAdvice, take: _Take) -> list[ReceiptItem]:
    """The sale as the store approved it, where and when, and what the card could not cover."""
    return [
        *receipt.sale_lines(receipt.advised_sale_figures(advice.checkout, advice.offline_result)),
        *receipt.advice_marks(advice.store_id, advice.sequence, take.shortfall_fen),
    ]


def _same_sale(existing: LedgerTransaction, advice: store_sync_pb2.OfflineAdvice) -> bool:
    """Whether the transaction already holding the advice's id is this very sale: this advice posted
    before, or its checkout, which had reached the region before the link dropped."""
    if existing.store_id != advice.store_id:
        return False
    return existing.type == "OFFLINE_ADVICE" or (existing.type == "SPEND" and existing.card_number == advice.checkout.card_number)


def _rejected(advice: store_sync_pb2.OfflineAdvice, existing: LedgerTransaction) -> store_sync_pb2.OfflineAdviceResult:
    """Another transaction holds the advice's id (a till reused a request id): answering DUPLICATE
    would drop the sale without a word, and posting it under that id is impossible."""
    log.error("offline advice refused: its id names another transaction", extra={"fields": {
        "advice_id": advice.advice_id, "store_id": advice.store_id, "holder_type": existing.type,
        "holder_store_id": existing.store_id}})
    return store_sync_pb2.OfflineAdviceResult(
        advice_id=advice.advice_id, outcome=REJECTED,
        message=(f"advice_id {advice.advice_id!r} is the request id of another transaction (a {existing.type.lower()} of "
                 f"card ...{existing.card_number[-4:]} at {existing.store_id}); this offline sale was not posted: "
                 "settle it by hand"),
    )


def _duplicate(ctx: RegionContext, session: Session, row: LedgerTransaction) -> store_sync_pb2.OfflineAdviceResult:
    transaction = transaction_message(row, ctx.region_code)
    record = session.get(OfflineAdviceRecord, row.request_id)
    uses_owed = shortfall_of(row.details) if record is not None else []
    transaction.overdrawn = record is not None and (record.shortfall_fen > 0 or bool(uses_owed))
    transaction.request_id = row.request_id
    replay_of = str(((row.details or {}).get(MEMBER_CODE) or {}).get("replay_of") or "")
    return store_sync_pb2.OfflineAdviceResult(
        advice_id=row.request_id, outcome=DUPLICATE, transaction=transaction,
        message="already posted" if record is not None else "the original checkout had reached the region; it stands",
        member_code_replayed=bool(replay_of), member_code_replay_of=replay_of, count_use_shortfalls=uses_owed,
    )


def _advised_code(session: Session, advice: store_sync_pb2.OfflineAdvice) -> tuple[dict[str, object], str]:
    """The transaction's details of the advice's member code, recorded as used now, and the request
    id of its earlier use ("" when there was none); nothing when the advice names no code. Call it
    with the advised card's row locked (as a checkout taking a code holds it)."""
    if not advice.member_code:
        return {}, ""
    code = member_codes.parse(advice.member_code)
    earlier = take_advised(session, code, advice.advice_id)
    replay_of = earlier.request_id if earlier is not None else ""
    return {MEMBER_CODE: {"issued_at": code.issued_at, "verified_at": _moment(advice.member_code_verified_at).isoformat(),
                          **({"replay_of": replay_of} if replay_of else {})}}, replay_of


def _card_accounts(session: Session, card_number: str) -> dict[str, LedgerAccount]:
    """The card's principal, bonus and points accounts (any missing one opened, as a replacement does)."""
    accounts = card_accounts(session, card_number)
    missing = [asset for asset in CARD_ASSETS if asset not in accounts]
    for asset in missing:
        accounts[asset] = LedgerAccount(account_id=new_id(), purpose=CARD_PURPOSE, card_number=card_number, franchisee_id="",
                                        asset=asset, balance=0, debits_posted=0, credits_posted=0)
        session.add(accounts[asset])
    if missing:
        session.flush()
    return accounts


def _system_account(session: Session, cache: dict[tuple[str, str, str], str], franchisee_id: str, purpose: str, asset: str) -> str:
    key = (franchisee_id, purpose, asset)
    if key not in cache:
        cache[key] = system_account_id(session, franchisee_id, purpose, asset)
    return cache[key]


def _post_in_session(
    uow: RegionUnitOfWork, advice: store_sync_pb2.OfflineAdvice, *, forwarded_by: str,
    system_accounts: dict[tuple[str, str, str], str],
) -> store_sync_pb2.OfflineAdviceResult:
    """Post one advice inside the caller's transaction (see the module's docstring)."""
    ctx, session = uow.region, uow.session
    store = ctx.program.store(advice.store_id, field="store_id")
    snapshot = ctx.program.snapshot()
    cache = system_accounts
    result = advice.offline_result
    approved_at = _moment(advice.approved_at)
    existing = session.execute(
        select(LedgerTransaction).where(LedgerTransaction.request_id == advice.advice_id)
    ).scalar_one_or_none()
    if existing is not None:
        if not _same_sale(existing, advice):
            return _rejected(advice, existing)
        return _duplicate(ctx, session, existing)
    card = _current_card(session, advice.checkout.card_number)
    code_details, replay_of = _advised_code(session, advice)
    # The card's accounts, read under its row lock: their balances stay current through the posting.
    accounts = _card_accounts(session, card.card_number)
    wanted = _stored_value_taken(result)
    take = _take(wanted, accounts[Asset.STORED_VALUE_PRINCIPAL].balance, accounts[Asset.STORED_VALUE_BONUS].balance,
                 split_rule(snapshot))
    issuer = card.issuing_franchisee_id
    postings: list[Posting] = []
    for asset, amount in ((Asset.STORED_VALUE_PRINCIPAL, take.principal_fen), (Asset.STORED_VALUE_BONUS, take.bonus_fen)):
        redeemed = _system_account(session, cache, store.franchisee_id, SystemAccount.STORED_VALUE_REDEEMED, asset)
        postings += transfer(asset, amount, debit=accounts[asset].account_id, credit=redeemed)
    # The shortfall is a receivable on the card itself (issue 21, docs/adr/0018): the next recharge
    # pays it first. Its account is locked with the card's others, under the card's row lock.
    locked = lock_card_accounts(session, [card.card_number])
    postings += receivables.owe(
        session, locked, card.card_number, Asset.STORED_VALUE_PRINCIPAL, take.shortfall_fen,
        credit=_system_account(session, cache, store.franchisee_id, SystemAccount.STORED_VALUE_REDEEMED,
                               Asset.STORED_VALUE_PRINCIPAL),
    )
    liability = _system_account(session, cache, issuer, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
    points_owed_paid = receivables.collectable(locked, card.card_number, Asset.POINTS, result.points_earned)
    postings += receivables.collect(locked, card.card_number, Asset.POINTS, points_owed_paid, debit=liability)
    postings += transfer(Asset.POINTS, result.points_earned - points_owed_paid, credit=accounts[Asset.POINTS].account_id,
                         debit=liability)
    transaction_id = result.transaction.transaction_id
    if not transaction_id or len(transaction_id) > 36 or session.get(LedgerTransaction, transaction_id) is not None:
        transaction_id = new_id()
    coupons = settle_advised_coupons(
        ctx, session, advised_terms(result.coupons), card_numbers=(advice.checkout.card_number, card.card_number),
        transaction_id=transaction_id, approved_at=approved_at, acquiring_franchisee_id=store.franchisee_id,
    )
    postings += coupons.postings
    # Count-card and time-pass uses (docs/adr/0036): from the packs in online order; what the card no
    # longer holds is owed, never a negative count.
    uses = settle_advised_uses(session, locked, snapshot, count_use_intents(advice.checkout), card_number=card.card_number,
                               issuing_franchisee_id=issuer, approved_at=approved_at)
    postings += uses.postings
    tenders = []
    for tender in result.tenders:
        applied = transactions_pb2.AppliedTender()
        applied.CopyFrom(tender)
        if tender.type == common_pb2.TENDER_TYPE_STORED_VALUE:
            applied.card_number = card.card_number
            applied.principal_fen, applied.bonus_fen = take.principal_fen + take.shortfall_fen, take.bonus_fen
        tenders.append(applied)
    day = ctx.store_business_day(store.time_zone, approved_at)
    time_passes.record(session, uses.passes, card_number=card.card_number, transaction_id=transaction_id, store_id=store.store_id,
                       business_date=day, now=approved_at)
    overdrawn = take.shortfall_fen > 0 or bool(uses.shortfall)
    row = LedgerTransaction(
        transaction_id=transaction_id, request_id=advice.advice_id, type="OFFLINE_ADVICE", card_number=card.card_number,
        store_id=store.store_id, acquiring_franchisee_id=store.franchisee_id, business_date=day,
        amount_fen=result.total_due_fen,
        # The holder's principal position, receivable included: settlement owes the store all it took.
        principal_delta_fen=-(take.principal_fen + take.shortfall_fen), bonus_delta_fen=-take.bonus_fen,
        points_delta=result.points_earned, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=approved_at,
        details={
            "offline": True, "advice_id": advice.advice_id, "store_sequence": advice.sequence,
            "approved_at": approved_at.isoformat(), "subtotal_fen": result.subtotal_fen, "discount_fen": result.discount_fen,
            "total_due_fen": result.total_due_fen, "points_earned": result.points_earned, "points_redeemed": 0,
            "points_deduction_fen": 0, "shortfall_fen": take.shortfall_fen, "pin_entered": advice.pin_entered,
            "offline_split": {"principal_fen": wanted[0], "bonus_fen": wanted[1]},
            "advised_card_number": advice.checkout.card_number, "forwarded_by": forwarded_by,
            "tenders": [
                {"type": enum_short_name(common_pb2.TenderType, "TENDER_TYPE_", t.type), "amount_fen": t.amount_fen,
                 "principal_fen": t.principal_fen, "bonus_fen": t.bonus_fen, "card_number": t.card_number}
                for t in tenders
            ],
            "lines": [{"sku": line.sku, "quantity": line.quantity, "net_fen": line.net_fen} for line in result.lines],
            "operator_id": advice.checkout.operator_id,
            # As an online sale keeps them (a refund or void of it gives them back), and the conflicts.
            **details_of(coupons.redeemed),
            **({COUPON_CONFLICTS: coupons.details()} if coupons.conflicts else {}),
            **code_details,
            **uses.details(),
        },
    )
    # An offline spend earns a referral share as an online one does, as of when the till approved it (docs/adr/0044).
    row.details.update(referral_awards.on_spend(ctx, session, member_id=card.member_id, card_number=card.card_number,
                                                transaction_id=transaction_id, amount_fen=result.total_due_fen, now=approved_at))
    transaction = record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=store.franchisee_id,
        receipt_title=receipt.offline_sale_title(store.name), receipt_items=_receipt_items(advice, take), tenders=tenders,
        coupons=coupon_messages(coupons.redeemed),
        points_earned=result.points_earned, overdrawn=overdrawn, operator_id=advice.checkout.operator_id,
        request_id=advice.advice_id, locked=locked, memo=bool(uses.passes.uses),  # a pass alone moves nothing
    ).transaction
    session.add(OfflineAdviceRecord(
        advice_id=advice.advice_id, transaction_id=transaction_id, store_id=store.store_id, store_sequence=advice.sequence,
        card_number=card.card_number, advised_card_number=advice.checkout.card_number,
        issuing_franchisee_id=issuer, business_date=day, amount_fen=sum(wanted),
        shortfall_fen=take.shortfall_fen, approved_at=approved_at, posted_at=utc_now(), forwarded_by=forwarded_by,
    ))
    if coupons.conflicts:
        log.warning("offline advice used coupons already used elsewhere: posted, flagged", extra={"fields": {
            "advice_id": advice.advice_id, "store_id": store.store_id,
            "coupons": [conflict.coupon_code for conflict in coupons.conflicts], "discount_fen": coupons.conflict_fen}})
    conflict_note = "; ".join(f"{conflict.reason}: {format_fen(conflict.discount_fen)} discount borne by store "
                              f"{store.store_id}, flagged" for conflict in coupons.conflicts)
    if replay_of:
        log.warning("offline advice used a member code already used: posted, flagged", extra={"fields": {
            "advice_id": advice.advice_id, "store_id": store.store_id, "card": advice.checkout.card_number,
            "replay_of": replay_of}})
        conflict_note = "; ".join(filter(None, [conflict_note, f"member code already used by {replay_of}: posted, "
                                                               "flagged as a replay for review"]))
    if uses.shortfall:
        log.warning("offline advice used count-card uses the card no longer held: posted, owed", extra={"fields": {
            "advice_id": advice.advice_id, "store_id": store.store_id, "card": card.card_number, "uses_owed": uses.shortfall}})
        owed_uses = "; ".join(f"card ...{card.card_number[-4:]} lacked {n} uses of {item}: owed, flagged for follow-up"
                              for item, n in sorted(uses.shortfall.items()))
        conflict_note = "; ".join(filter(None, [owed_uses, conflict_note]))
    if take.shortfall_fen:
        answer = store_sync_pb2.OfflineAdviceResult(
            advice_id=advice.advice_id, outcome=POSTED_OVERDRAWN, transaction=transaction,
            message=f"card ...{card.card_number[-4:]} held {format_fen(sum(wanted) - take.shortfall_fen)} of "
                    f"{format_fen(sum(wanted))}: {format_fen(take.shortfall_fen)} owed, flagged for follow-up"
                    + (f"; {conflict_note}" if conflict_note else ""),
        )
    elif uses.shortfall:
        answer = store_sync_pb2.OfflineAdviceResult(advice_id=advice.advice_id, outcome=POSTED_OVERDRAWN, transaction=transaction,
                                                    message=conflict_note)
    else:
        answer = store_sync_pb2.OfflineAdviceResult(advice_id=advice.advice_id, outcome=POSTED, transaction=transaction,
                                                    message=conflict_note)
    answer.member_code_replayed, answer.member_code_replay_of = bool(replay_of), replay_of
    answer.count_use_shortfalls.extend(uses.shortfall_messages())
    return answer


@retry_on_conflict
def post_advice(
    ctx: RegionContext, advice: store_sync_pb2.OfflineAdvice, *, forwarded_by: str = "",
    system_accounts: dict[tuple[str, str, str], str] | None = None,
) -> store_sync_pb2.OfflineAdviceResult:
    """Post one advice on a card homed here, exactly once, in its own transaction."""
    with ctx.session_factory() as session, session.begin():
        answer = _post_in_session(RegionUnitOfWork(session, ctx), advice, forwarded_by=forwarded_by,
                                  system_accounts=system_accounts if system_accounts is not None else {})
    _log_overdraft(answer)
    return answer


def post_advices_together(
    ctx: RegionContext, advices: list[store_sync_pb2.OfflineAdvice], *, forwarded_by: str,
    system_accounts: dict[tuple[str, str, str], str],
) -> list[store_sync_pb2.OfflineAdviceResult] | None:
    """Post several advices, in order, in one transaction (one commit instead of one each); None,
    with nothing written, if any of them fails — the caller then posts them one by one."""
    try:
        with ctx.session_factory() as session, session.begin():
            uow = RegionUnitOfWork(session, ctx)
            answers = [_post_in_session(uow, advice, forwarded_by=forwarded_by, system_accounts=system_accounts)
                       for advice in advices]
    except (ChainCardError, DBAPIError):
        return None
    for answer in answers:
        _log_overdraft(answer)
    return answers


def _log_overdraft(answer: store_sync_pb2.OfflineAdviceResult) -> None:
    if answer.outcome == POSTED_OVERDRAWN:
        log.warning("offline advice overdrew a card", extra={"fields": {
            "advice_id": answer.advice_id, "card": answer.transaction.card_number, "message": answer.message}})


# ---- a store's upload -----------------------------------------------------------------------------
def _retry_later(advice_id: str, message: str) -> store_sync_pb2.OfflineAdviceResult:
    return store_sync_pb2.OfflineAdviceResult(advice_id=advice_id, outcome=RETRY_LATER, message=message)


def _open_system_accounts(ctx: RegionContext, store_id: str, card_numbers: list[str]) -> dict[tuple[str, str, str], str]:
    """The system accounts an upload posts to, created first in their own short transaction (so two
    stores' uploads never race to create one), by (franchisee, purpose, asset)."""
    if not card_numbers:
        return {}
    store = ctx.program.store(store_id)
    wanted = [(store.franchisee_id, SystemAccount.STORED_VALUE_REDEEMED, asset)
              for asset in (Asset.STORED_VALUE_PRINCIPAL, Asset.STORED_VALUE_BONUS)]
    with ctx.session_factory() as session, session.begin():
        issuers = set(session.execute(select(Card.issuing_franchisee_id).where(Card.card_number.in_(card_numbers))).scalars())
        for issuer in sorted(issuers):
            wanted.append((issuer, SystemAccount.POINTS_LIABILITY, Asset.POINTS))
        return {key: system_account_id(session, *key) for key in wanted}


def _forwarded_batch_id(request_id: str, region_code: str) -> str:
    """The same sub-batch id for the same batch, so a home region can replay its answer."""
    return "fwd-" + hashlib.sha256(f"{request_id}|{region_code}".encode()).hexdigest()[:40]


def upload_offline_advices(
    ctx: RegionContext, forwarder: Forwarder, request: store_sync_pb2.UploadOfflineAdvicesRequest,
    origin: CallOrigin,
) -> store_sync_pb2.UploadOfflineAdvicesResponse:
    forwarded_by = origin.forwarded_by
    validate_request_id(request.request_id)
    if not request.store_id:
        raise InvalidArgument("store_id", "is required")
    if len(request.advices) > MAX_ADVICES_PER_UPLOAD:
        raise InvalidArgument("advices", f"at most {MAX_ADVICES_PER_UPLOAD} per call, {len(request.advices)} given")
    calling_store(ctx, request.store_id, forwarded=bool(forwarded_by))
    for index, advice in enumerate(request.advices):
        validate_advice(index, advice, request.store_id)
    with ctx.session_factory() as session:
        replay = replay_or_reserve(
            session, IdempotencyKey, "UploadOfflineAdvices", request, store_sync_pb2.UploadOfflineAdvicesResponse
        )
    if replay is not None:
        return replay

    results: list[store_sync_pb2.OfflineAdviceResult | None] = [None] * len(request.advices)
    remote: dict[str, list[int]] = defaultdict(list)
    local: list[int] = []
    for index, advice in enumerate(request.advices):
        home = ctx.home_region_of(advice.checkout.card_number)
        if home == ctx.region_code or forwarded_by:
            local.append(index)
        else:
            remote[home].append(index)

    for region_code, indexes in remote.items():
        sub_request = store_sync_pb2.UploadOfflineAdvicesRequest(
            request_id=_forwarded_batch_id(request.request_id, region_code), store_id=request.store_id,
            advices=[request.advices[index] for index in indexes],
        )
        try:
            answer = forwarder.forward(region_code, store_sync_pb2_grpc.StoreSyncServiceStub, "UploadOfflineAdvices", sub_request, origin)
            for index, result in zip(indexes, answer.results, strict=True):
                results[index] = result
        except (ChainCardError, ValueError) as error:
            message = f"home region {region_code} did not take the advices: {getattr(error, 'message', error)}"
            for index in indexes:
                results[index] = _retry_later(request.advices[index].advice_id, message)

    # Posted in queue order (the order the store approved them), a chunk per transaction; a chunk that
    # fails is posted again one by one, and an advice that cannot be posted now holds back the later
    # advices of its card (per-card order), not the others.
    system_accounts = _open_system_accounts(ctx, request.store_id, [request.advices[index].checkout.card_number for index in local])
    held_back: dict[str, str] = {}
    for start in range(0, len(local), ADVICES_PER_TRANSACTION):
        chunk = local[start:start + ADVICES_PER_TRANSACTION]
        together = post_advices_together(ctx, [request.advices[index] for index in chunk], forwarded_by=forwarded_by,
                                         system_accounts=system_accounts)
        if together is not None:
            for index, answer in zip(chunk, together, strict=True):
                results[index] = answer
            continue
        for index in chunk:
            advice = request.advices[index]
            card = advice.checkout.card_number
            if card in held_back:
                results[index] = _retry_later(advice.advice_id, f"an earlier advice of this card could not be posted: {held_back[card]}")
                continue
            try:
                results[index] = post_advice(ctx, advice, forwarded_by=forwarded_by, system_accounts=system_accounts)
            except (ChainCardError, DBAPIError) as error:
                message = getattr(error, "message", None) or type(error).__name__
                log.warning("offline advice not posted; the store will send it again",
                            extra={"fields": {"advice_id": advice.advice_id, "error": message}})
                held_back[card] = message
                results[index] = _retry_later(advice.advice_id, message)

    response = store_sync_pb2.UploadOfflineAdvicesResponse(results=[result for result in results if result is not None])
    if any(result.outcome == RETRY_LATER for result in response.results):
        return response  # only a final answer is kept for the batch id: a batch with RETRY_LATER is simply sent again
    # Remembered through the command pipeline, so a twin of this batch that stored its final answer
    # first is answered with that one.
    return ctx.commands.run(_answered(response), request)


def _answered(
    response: store_sync_pb2.UploadOfflineAdvicesResponse,
) -> Callable[[RegionUnitOfWork, store_sync_pb2.UploadOfflineAdvicesRequest], store_sync_pb2.UploadOfflineAdvicesResponse]:
    """A command handler whose answer is already known (the advices were posted chunk by chunk)."""
    return lambda uow, request: response


# ---- the overdrawn report --------------------------------------------------------------------------
@dataclass(frozen=True)
class OverdrawnAdvice:
    advice_id: str
    transaction_id: str
    store_id: str
    business_date: date
    amount_fen: int
    shortfall_fen: int
    approved_at: datetime


@dataclass(frozen=True)
class OverdrawnCard:
    card_number: str
    issuing_franchisee_id: str
    # What the holder owes now: its receivable (the shortfalls less what was paid or written off).
    owed_fen: int
    # The card's stored value now (principal + bonus), and that less what is owed.
    stored_value_fen: int
    net_fen: int
    advices: tuple[OverdrawnAdvice, ...]


def overdrawn_cards(session: Session) -> list[OverdrawnCard]:
    """Cards that offline advices overdrew and that still owe, each with the advices concerned
    (oldest first)."""
    rows = session.execute(
        select(OfflineAdviceRecord).where(OfflineAdviceRecord.shortfall_fen > 0)
        .order_by(OfflineAdviceRecord.card_number, OfflineAdviceRecord.posted_order)
    ).scalars().all()
    by_card: dict[str, list[OfflineAdviceRecord]] = defaultdict(list)
    for row in rows:
        by_card[row.card_number].append(row)
    report = []
    for card_number, advices in by_card.items():
        held = card_balances(session, card_number)
        owed = held.owed_fen
        if not owed:
            continue  # paid by a recharge, or written off
        report.append(OverdrawnCard(
            card_number=card_number, issuing_franchisee_id=advices[0].issuing_franchisee_id, owed_fen=owed,
            stored_value_fen=held.principal_fen + held.bonus_fen, net_fen=held.principal_fen + held.bonus_fen - owed,
            advices=tuple(
                OverdrawnAdvice(row.advice_id, row.transaction_id, row.store_id, row.business_date, row.amount_fen,
                                row.shortfall_fen, row.approved_at)
                for row in advices
            ),
        ))
    return report
