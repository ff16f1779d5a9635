"""TransferCoupon (Q4): the holder gives an AVAILABLE coupon of a transferable template to another
member, named by phone, in any region.

The giver's coupon becomes VOIDED (its CouponStateChanged says "transferred to card …") and the
recipient's card gets a new coupon of the same template and validity, issued with the key
``transfer:<coupon code>``, so one coupon is received once whatever the retries; the giver's card
earns the template's transfer_reward_points through the ledger. The recipient's card is the
member's only active card, else their most recently opened active one.

A recipient homed in another region receives the coupon there: the giver's region, holding the
giver's card and coupon locked, asks the recipient's region (ReceiveTransferredCoupon, region to
region) and voids its own coupon only once that answered, in the same transaction. If that
transaction then fails, the retry (same request_id) finds the coupon still AVAILABLE and the
recipient's region answers with the coupon it issued the first time (docs/adr/0020).
"""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.commands import CommitThenRefuse
from chaincard.coupons.codes import coupon_code
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument, NotFound
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.phones import normalise_phone, phone_hmac
from chaincard.pins import validate_pin
from chaincard.receipts import ReceiptItem
from chaincard.rpc.channels import call
from chaincard.v1 import cards_pb2, cards_pb2_grpc, common_pb2, directory_pb2, member_index_pb2
from region_service import audit, card_states, pins, receivables, validation
from region_service.context import RegionContext
from region_service.coupons.issuing import (
    AVAILABLE,
    VOIDED,
    change_state,
    coupon_message,
    issue_coupons,
    lock_coupons,
)
from region_service.coupons.terms import known_template
from region_service.forwarding import CallOrigin
from region_service.ledger_store import lock_card_accounts, system_account_id
from region_service.models import Card, Coupon, LedgerTransaction, Member
from region_service.posting import record_transaction
from region_service.repository import lock_cards
from region_service.translate import timestamp
from region_service.unit_of_work import RegionUnitOfWork

_NO_MEMBER = "recipient_phone: no member has this phone"


def _phone(value: str) -> str:
    if not value:
        raise InvalidArgument("recipient_phone", "is required")
    phone = normalise_phone(value)
    if phone is None:
        raise InvalidArgument("recipient_phone", "must be an 11-digit mainland mobile number")
    return phone


def _masked(card_number: str) -> str:
    return f"{'*' * (len(card_number) - 4)}{card_number[-4:]}"


# ---- the giver's region -----------------------------------------------------------------------------

def transfer_coupon(uow: RegionUnitOfWork, request: cards_pb2.TransferCouponRequest) -> cards_pb2.TransferCouponResponse:
    ctx, session = uow.region, uow.session
    giver_number = validation.card_number(request.card_number)
    code = coupon_code(request.coupon_code)
    phone = _phone(request.recipient_phone)
    if request.pin:
        validate_pin("pin", request.pin)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    store = ctx.program.store(request.store_id) if request.store_id else None
    now = utc_now()

    hashed = phone_hmac(phone, ctx.settings.phone_hmac_key)
    local_recipient = _recipient_card(session, hashed)
    recipient_home = ctx.region_code
    if local_recipient is None:
        recipient_home = _home_region_of_phone(ctx, hashed)
        if not recipient_home or recipient_home == ctx.region_code:
            raise NotFound(_NO_MEMBER)
    cards = lock_cards(session, [giver_number, *([local_recipient] if local_recipient else [])])
    giver = cards[giver_number]
    card_states.require_usable(giver, now)
    if local_recipient is not None:
        receiver = cards[local_recipient]
        if receiver.member_id == giver.member_id:
            raise InvalidArgument("recipient_phone", "is the giver's own; give the coupon to another member")
        card_states.require_usable(receiver, now)
    if giver.pin_hash is not None:
        refusal = pins.check_pin(ctx, session, giver, request.pin, purpose="coupon transfer",
                                 store_id=store.store_id if store else "", operator_id=operator_id, request_id=request.request_id)
        if refusal is not None:
            raise CommitThenRefuse(refusal)
    coupon = _givable(session, code, giver_number, now)
    terms = known_template(ctx, coupon.template_code)
    if terms is None or not terms.transferable:
        raise FailedPrecondition(f"coupon {code} ({coupon.template_code}) is not transferable")

    if local_recipient is not None:
        received = coupon_message(issue_coupons(
            ctx, session, cards[local_recipient], terms, count=1, reason=f"given by card ...{giver_number[-4:]}",
            issue_key=f"transfer:{code}", operator_id=operator_id, now=now, window=(coupon.valid_from, coupon.valid_until),
        )[0])
    else:
        received = _receive_elsewhere(ctx, recipient_home, request, coupon, giver_number, operator_id)
    change_state(ctx, session, coupon, VOIDED, reason=f"transferred to card {received.card_number}", operator_id=operator_id,
                 now=now)
    response = cards_pb2.TransferCouponResponse(
        given=coupon_message(coupon), received=received, recipient_card_masked=_masked(received.card_number),
        reward_points=terms.transfer_reward_points,
    )
    if terms.transfer_reward_points > 0:
        response.reward_transaction.CopyFrom(_reward(ctx, session, giver, terms.transfer_reward_points, store, code,
                                                     request_id=request.request_id, operator_id=operator_id))
    audit.record(
        session, ctx, action="coupon.transfer", target_type="card", target_id=giver_number, operator_id=operator_id,
        store_id=store.store_id if store else "", franchisee_id=giver.issuing_franchisee_id, request_id=request.request_id,
        before={"coupon_code": code, "state": AVAILABLE},
        after={"coupon_code": code, "state": VOIDED, "to_card_number": received.card_number, "to_region": recipient_home,
               "received_coupon_code": received.coupon_code, "reward_points": terms.transfer_reward_points},
    )
    return response


def _givable(session: Session, code: str, giver_number: str, now: datetime) -> Coupon:
    """The giver's coupon, locked: it must be theirs, AVAILABLE and within its validity."""
    coupon = lock_coupons(session, [code]).get(code)
    if coupon is None:
        raise NotFound(f"coupon_code: no coupon {code}")
    if coupon.card_number != giver_number:
        raise FailedPrecondition(f"coupon {code} is not held by card {giver_number}")
    if coupon.state != AVAILABLE:
        raise FailedPrecondition(f"coupon {code} is {coupon.state.lower()}; only an available coupon can be given")
    if coupon.valid_until <= now:
        raise FailedPrecondition(f"coupon {code} expired on {coupon.valid_until.date().isoformat()}")
    return coupon


def _receive_elsewhere(ctx: RegionContext, region_code: str, request: cards_pb2.TransferCouponRequest, coupon: Coupon,
                       giver_number: str, operator_id: str) -> common_pb2.Coupon:
    """The recipient's region issues the coupon; its refusal (no such member, no active card)
    comes back with its status, and nothing is written here."""
    asked = cards_pb2.ReceiveTransferredCouponRequest(
        request_id=request.request_id, recipient_phone=request.recipient_phone, coupon_code=coupon.coupon_code,
        template_code=coupon.template_code, valid_from=timestamp(coupon.valid_from), valid_until=timestamp(coupon.valid_until),
        giver_card_last4=giver_number[-4:], operator_id=operator_id,
    )
    answer: cards_pb2.ReceiveTransferredCouponResponse = ctx.peers.forward(
        region_code, cards_pb2_grpc.CardServiceStub, "ReceiveTransferredCoupon", asked, CallOrigin())
    return answer.coupon


def _recipient_card(session: Session, hashed_phone: str) -> str | None:
    """The card a coupon given to the phone goes to, when its member is homed here: the member's
    only active card, else the one opened last; None when no member here has the phone.
    FAILED_PRECONDITION when the member has no active card."""
    member = session.execute(select(Member).where(Member.phone_hmac == hashed_phone)).scalar_one_or_none()
    if member is None or member.erased_at is not None:
        return None
    number = session.execute(
        select(Card.card_number).where(Card.member_id == member.member_id, Card.state == card_states.ACTIVE)
        .order_by(Card.opened_at.desc(), Card.card_number.desc()).limit(1)
    ).scalar_one_or_none()
    if number is None:
        raise FailedPrecondition("recipient_phone: the member has no active card to receive the coupon")
    return number


def _home_region_of_phone(ctx: RegionContext, hashed: str) -> str:
    try:
        return call(ctx.member_index.LookupPhone, member_index_pb2.LookupPhoneRequest(phone_hmac=hashed)).home_region
    except grpc.RpcError:
        return ""


def _reward(ctx: RegionContext, session: Session, card: Card, points: int, store: directory_pb2.Store | None, code: str, *,
            request_id: str, operator_id: str) -> common_pb2.Transaction:
    """The giver's reward: ``points`` from the issuer's points liability to the card (paying what the
    card owes in points first, issue 21), as a POINTS_ADJUSTMENT transaction."""
    at = store or ctx.program.store(card.issuing_store_id)
    locked = lock_card_accounts(session, [card.card_number])
    liability = system_account_id(session, card.issuing_franchisee_id, SystemAccount.POINTS_LIABILITY, Asset.POINTS)
    owed_paid = receivables.collectable(locked, card.card_number, Asset.POINTS, points)
    postings = [
        *receivables.collect(locked, card.card_number, Asset.POINTS, owed_paid, debit=liability),
        *transfer(Asset.POINTS, points - owed_paid, debit=liability, credit=locked.ids(card.card_number)[Asset.POINTS]),
    ]
    row = LedgerTransaction(
        transaction_id=new_id(), request_id=request_id, type="POINTS_ADJUSTMENT", card_number=card.card_number,
        store_id=at.store_id, acquiring_franchisee_id=at.franchisee_id, business_date=ctx.store_business_day(at.time_zone),
        amount_fen=0, principal_delta_fen=0, bonus_delta_fen=0, points_delta=points, principal_after_fen=0,
        bonus_after_fen=0, points_after=0, created_at=utc_now(),
        details={"reason": f"coupon {code} given", "operator_id": operator_id, "coupon_code": code,
                 "points_owed_paid": owed_paid},
    )
    return record_transaction(
        ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=at.franchisee_id,
        receipt_title=f"COUPON GIVEN  {at.name}",
        receipt_items=[ReceiptItem("Coupon", f"...{code[-4:]}"), ReceiptItem("Points", f"+{points}")], locked=locked,
    ).transaction


# ---- the recipient's region -------------------------------------------------------------------------

def receive_transferred_coupon(uow: RegionUnitOfWork,
                               request: cards_pb2.ReceiveTransferredCouponRequest) -> cards_pb2.ReceiveTransferredCouponResponse:
    """Issue the coupon another region's member gave to a member homed here (key ``transfer:<code>``:
    once, whatever the retries), with the given coupon's template and validity."""
    ctx, session = uow.region, uow.session
    code = coupon_code(request.coupon_code)
    phone = _phone(request.recipient_phone)
    if not request.template_code:
        raise InvalidArgument("template_code", "is required")
    valid_from, valid_until = _moment(request.valid_from), _moment(request.valid_until)
    if valid_from is None or valid_until is None or valid_from >= valid_until:
        raise InvalidArgument("valid_until", "must be set and after valid_from")
    last4 = validation.optional_text("giver_card_last4", request.giver_card_last4, max_length=4)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    number = _recipient_card(session, phone_hmac(phone, ctx.settings.phone_hmac_key))
    if number is None:
        raise NotFound(_NO_MEMBER)
    card = lock_cards(session, [number])[number]
    card_states.require_usable(card, utc_now())
    terms = known_template(ctx, request.template_code)
    if terms is None:
        raise FailedPrecondition(f"template_code: no coupon template {request.template_code!r}")
    received = issue_coupons(ctx, session, card, terms, count=1, reason=f"given by card ...{last4}", issue_key=f"transfer:{code}",
                             operator_id=operator_id, window=(valid_from, valid_until))[0]
    audit.record(
        session, ctx, action="coupon.receive", target_type="card", target_id=number, operator_id=operator_id,
        franchisee_id=card.issuing_franchisee_id, request_id=request.request_id, reason=f"given coupon {code}",
        before=None, after={"coupon_code": received.coupon_code, "from_coupon_code": code, "template_code": terms.code},
    )
    return cards_pb2.ReceiveTransferredCouponResponse(coupon=coupon_message(received))


def _moment(stamp: Timestamp) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if stamp.seconds or stamp.nanos else None
