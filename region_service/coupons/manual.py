"""IssueCoupon (a manual issue, Q2) and ListCardCoupons (Q3): the RPC handlers."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from chaincard.security.identity import Place, ScopeLevel, current_principal
from chaincard.v1 import cards_pb2, directory_pb2
from region_service import audit, card_states, validation
from region_service.context import RegionContext
from region_service.coupons.issuing import AVAILABLE, MAX_REASON, coupon_message, issue_coupons
from region_service.coupons.terms import template_to_issue
from region_service.models import Card, Coupon
from region_service.repository import load_card
from region_service.unit_of_work import RegionUnitOfWork

MAX_ISSUE = 100
DEFAULT_PAGE = 50
MAX_PAGE = 200


# ---- IssueCoupon ------------------------------------------------------------------------------------

def issue_coupon(uow: RegionUnitOfWork, request: cards_pb2.IssueCouponRequest) -> cards_pb2.IssueCouponResponse:
    ctx, session = uow.region, uow.session
    card_number = validation.card_number(request.card_number)
    if not request.template_code:
        raise InvalidArgument("template_code", "is required")
    if not 1 <= request.quantity <= MAX_ISSUE:
        raise InvalidArgument("quantity", f"must be 1 to {MAX_ISSUE}")
    reason = validation.require_text("reason", request.reason, max_length=MAX_REASON)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    store = ctx.program.store(request.store_id) if request.store_id else None
    terms = template_to_issue(ctx, request.template_code)

    card = load_card(session, card_number, for_update=True)
    require_may_issue(ctx, card, store)
    if card.state in card_states.FINAL_STATES:
        raise FailedPrecondition(f"card {card_number} is {card_states.describe(card)}; no coupons can be issued to it")
    rows = issue_coupons(ctx, session, card, terms, count=request.quantity, reason=reason,
                         issue_key=f"manual:{request.request_id}", operator_id=operator_id)
    audit.record(
        session, ctx, action="coupon.issue", target_type="card", target_id=card_number, operator_id=operator_id,
        store_id=store.store_id if store else "", franchisee_id=card.issuing_franchisee_id,
        request_id=request.request_id, reason=reason, before=None,
        after={"template_code": terms.code, "quantity": request.quantity, "coupon_codes": [row.coupon_code for row in rows]},
    )
    return cards_pb2.IssueCouponResponse(coupons=[coupon_message(row) for row in rows])


def require_may_issue(ctx: RegionContext, card: Card, store: directory_pb2.Store | None) -> None:
    """Coupons are issued to a card by a store manager of its issuing franchisee, a region manager
    of its home region, or HQ: PERMISSION_DENIED otherwise (the matrix lets the roles through; the
    card, read here, says whose it is)."""
    principal = current_principal()
    scope = principal.scope if principal is not None else None
    if scope is not None and store is not None and not scope.covers(Place.of_store(store)):
        raise PermissionDenied(f"store {store.store_id!r} is outside your scope ({scope})")
    if scope is None or scope.level is ScopeLevel.STORE:
        # A store (its certificate, its staff, or a store-scoped manager): its franchisee's cards.
        if store is not None and store.franchisee_id != card.issuing_franchisee_id:
            raise PermissionDenied(f"card {card.card_number} was issued by franchisee {card.issuing_franchisee_id}; "
                                   f"store {store.store_id} cannot issue coupons to it")
        if scope is not None and store is None:
            raise PermissionDenied("store_id: a store manager issues coupons at their store")
        return
    place = Place(region=ctx.region_code, franchisee=card.issuing_franchisee_id, store=card.issuing_store_id)
    if not scope.covers(place):
        raise PermissionDenied(f"card {card.card_number} is outside your scope ({scope})")


# ---- ListCardCoupons --------------------------------------------------------------------------------

def list_card_coupons(ctx: RegionContext, request: cards_pb2.ListCardCouponsRequest) -> cards_pb2.ListCardCouponsResponse:
    card_number = validation.card_number(request.card_number)
    if request.page_size < 0 or request.page_size > MAX_PAGE:
        raise InvalidArgument("page_size", f"must be 0 (the default, {DEFAULT_PAGE}) to {MAX_PAGE}")
    size = request.page_size or DEFAULT_PAGE
    after = _read_token(request.page_token)
    with ctx.session_factory() as session:
        load_card(session, card_number)
        rows = _page(session, card_number, include_inactive=request.include_inactive, after=after, size=size + 1,
                     now=utc_now())
    more = len(rows) > size
    rows = rows[:size]
    return cards_pb2.ListCardCouponsResponse(
        coupons=[coupon_message(row) for row in rows],
        next_page_token=_token(rows[-1]) if more else "",
    )


def _page(session: Session, card_number: str, *, include_inactive: bool, after: tuple[datetime, str] | None, size: int,
          now: datetime) -> list[Coupon]:
    """Soonest expiry first, then by code (a stable order for keyset paging)."""
    statement = select(Coupon).where(Coupon.card_number == card_number)
    if not include_inactive:
        statement = statement.where(Coupon.state == AVAILABLE, Coupon.valid_until > now)
    if after is not None:
        until, code = after
        statement = statement.where(or_(Coupon.valid_until > until, and_(Coupon.valid_until == until, Coupon.coupon_code > code)))
    return list(session.execute(statement.order_by(Coupon.valid_until, Coupon.coupon_code).limit(size)).scalars())


def _token(row: Coupon) -> str:
    return base64.urlsafe_b64encode(json.dumps([row.valid_until.isoformat(), row.coupon_code]).encode()).decode()


def _read_token(token: str) -> tuple[datetime, str] | None:
    if not token:
        return None
    try:
        until, code = json.loads(base64.urlsafe_b64decode(token.encode()))
        moment = datetime.fromisoformat(until)
        if not isinstance(code, str) or moment.tzinfo is None:
            raise ValueError(token)
    except (ValueError, TypeError) as error:
        raise InvalidArgument("page_token", "is not a token this service gave") from error
    return moment, code
