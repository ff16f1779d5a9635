"""QR member codes at the card's home region (docs/adr/0026): issue them, read them for a look-up or
a quote, and take one for a checkout, once, in the checkout's own transaction (or in the posting of
the offline advice of a sale a store approved by code while it could not reach us)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import member_codes
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition
from chaincard.v1 import cards_pb2, transactions_pb2
from region_service import validation
from region_service.context import RegionContext
from region_service.handlers.cards import require_usable
from region_service.models import UsedMemberCode
from region_service.repository import load_card
from region_service.translate import timestamp
from region_service.unit_of_work import RegionUnitOfWork


def card_key(ctx: RegionContext, card_number: str) -> bytes:
    return member_codes.card_key(ctx.settings.member_code_key, card_number)


def rotate_qr_token(uow: RegionUnitOfWork, request: cards_pb2.RotateQrTokenRequest) -> cards_pb2.RotateQrTokenResponse:
    """A fresh code for a usable virtual card of this region; nothing is stored (the MAC proves it)."""
    card_number = validation.card_number(request.card_number)
    require_usable(load_card(uow.session, card_number))
    code, expires_at = member_codes.issue(card_key(uow.region, card_number), card_number, utc_now())
    return cards_pb2.RotateQrTokenResponse(qr_token=code, expires_at=timestamp(expires_at))


def verified(ctx: RegionContext, session: Session, text: str, field: str = "card_number") -> member_codes.MemberCode:
    """The code, checked: genuine (else INVALID_ARGUMENT naming ``field``), fresh and unused (else
    FAILED_PRECONDITION). Reads only."""
    code = member_codes.parse(text, field)
    member_codes.verify(code, card_key(ctx, code.card_number), utc_now(), field)
    if session.get(UsedMemberCode, (code.card_number, code.issued_at)) is not None:
        raise FailedPrecondition("member code already used; show a fresh one")
    return code


def take(session: Session, code: member_codes.MemberCode, request_id: str) -> None:
    """Record the code as used by ``request_id``, in the caller's transaction. Call it with the card
    row locked: a second checkout racing with the same code waits on that lock, then finds the row."""
    used = session.execute(select(UsedMemberCode).where(
        UsedMemberCode.card_number == code.card_number, UsedMemberCode.issued_at == code.issued_at,
    )).scalar_one_or_none()
    if used is not None:
        raise FailedPrecondition("member code already used; show a fresh one")
    session.add(UsedMemberCode(card_number=code.card_number, issued_at=code.issued_at, request_id=request_id, used_at=utc_now()))
    session.flush()


def take_advised(session: Session, code: member_codes.MemberCode, advice_id: str) -> UsedMemberCode | None:
    """Record a code an offline advice carried (the store verified it offline) as used by the advice,
    in the posting's transaction, with the card row locked; returns the earlier use instead when the
    code was already used (online, or by another store's advice): the advice is posted anyway, a sale
    already made, and flagged for review (docs/adr/0026)."""
    used = session.get(UsedMemberCode, (code.card_number, code.issued_at))
    if used is not None:
        return used
    session.add(UsedMemberCode(card_number=code.card_number, issued_at=code.issued_at, request_id=advice_id, used_at=utc_now()))
    session.flush()
    return None


def checkout_by_code(
    ctx: RegionContext, session: Session, request: transactions_pb2.CheckoutRequest,
) -> tuple[transactions_pb2.CheckoutRequest, member_codes.MemberCode | None]:
    """The request with the code's card in ``card_number``, and the verified code to take once the
    card is locked; the request as is when it names a card."""
    if not member_codes.is_member_code(request.card_number):
        return request, None
    code = verified(ctx, session, request.card_number)
    by_card = transactions_pb2.CheckoutRequest()
    by_card.CopyFrom(request)
    by_card.card_number = code.card_number
    return by_card, code


def quote_by_code(ctx: RegionContext, request: transactions_pb2.QuoteCheckoutRequest) -> transactions_pb2.QuoteCheckoutRequest:
    """The quote's request with the code's card in ``card_number`` (the code is checked, not taken)."""
    if not member_codes.is_member_code(request.card_number):
        return request
    with ctx.session_factory() as session:
        code = verified(ctx, session, request.card_number)
    by_card = transactions_pb2.QuoteCheckoutRequest()
    by_card.CopyFrom(request)
    by_card.card_number = code.card_number
    return by_card
