"""Open cards (C1, C2) and read them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard import card_types
from chaincard.db.base import utc_now
from chaincard.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from chaincard.events import topics
from chaincard.events.outbox import add_event
from chaincard.ids import make_card_number
from chaincard.pins import hash_pin, validate_pin
from chaincard.v1 import cards_pb2, common_pb2, events_pb2
from region_service import card_links, card_states, count_uses, referral_awards, time_passes, validation
from region_service.context import RegionContext
from region_service.coupons.rules_issue import issue_listed
from region_service.ledger_store import card_balances, open_card_accounts
from region_service.models import Card, Member, OutboxMessage, card_serial
from region_service.repository import load_card
from region_service.translate import balances_message, card_message, enum_value
from region_service.unit_of_work import RegionUnitOfWork


def open_card(uow: RegionUnitOfWork, request: cards_pb2.OpenCardRequest) -> cards_pb2.OpenCardResponse:
    ctx, session = uow.region, uow.session
    store = ctx.program.store(request.store_id)
    if store.region_code != ctx.region_code:
        raise InvalidArgument("store_id", f"store {store.store_id} belongs to region {store.region_code}")
    card_type = ctx.program.card_type(request.card_type_code)
    card_types.require_member_rule(card_type, request.member_id)  # a bearer type takes none (docs/adr/0034)
    pin_hash = hash_pin(validate_pin("pin", request.pin)) if request.pin else None
    form = request.form or common_pb2.CARD_FORM_VIRTUAL
    if form == common_pb2.CARD_FORM_PHYSICAL:
        physical_number = validation.card_number(request.physical_card_number, "physical_card_number")
        stock = registered_physical_card(ctx, physical_number)
        card_states.require_stock_of(physical_number, stock, franchisee_id=store.franchisee_id,
                                     card_type_code=request.card_type_code)
    elif form == common_pb2.CARD_FORM_VIRTUAL:
        physical_number = None
    else:
        raise InvalidArgument("form", "must be CARD_FORM_VIRTUAL or CARD_FORM_PHYSICAL")
    region = ctx.program.region(ctx.region_code)
    level = ctx.program.level(card_type.default_level_code) if card_type.default_level_code else ctx.program.entry_level()

    member = session.get(Member, request.member_id) if request.member_id else None
    if request.member_id and member is None:
        raise NotFound(f"no member {request.member_id} in region {ctx.region_code}")
    if member is not None and member.erased_at is not None:
        raise FailedPrecondition(f"member {request.member_id} was erased at their request (M7): register them again")
    if physical_number is not None:
        if session.get(Card, physical_number) is not None:
            raise AlreadyExists(f"card {physical_number} is already issued")
        number = physical_number
    else:
        number = make_card_number(region.card_prefix, session.execute(select(card_serial.next_value())).scalar_one())
    now = utc_now()
    card = Card(
        card_number=number,
        member_id=request.member_id or None,  # None: a bearer card
        card_type_code=card_type.code,
        form="PHYSICAL" if physical_number is not None else "VIRTUAL",
        state=card_states.ACTIVE,
        level_code=level.code if level is not None else "",
        issuing_franchisee_id=store.franchisee_id,
        issuing_store_id=store.store_id,
        opened_at=now,
        expires_at=now + timedelta(days=card_type.validity_days) if card_type.validity_days > 0 else None,
        failed_pin_attempts=0,
        pin_hash=pin_hash,
    )
    session.add(card)
    open_card_accounts(session, card.card_number)
    session.flush()
    message = card_message(card, ctx.region_code, card_balances(session, card.card_number))
    add_event(
        session, OutboxMessage, topic=topics.CARDS, key=card.card_number, producer=ctx.producer_name,
        payload=events_pb2.CardOpened(card=message, operator_id=request.operator_id),
    )
    # The chain's registration coupons (Q2), in the opening's transaction: once per card and template;
    # a bearer card registers no one, so it gets none.
    if member is not None:
        issue_listed(ctx, session, card, ctx.program.snapshot().settings.registration_coupon_template_codes,
                     key_prefix=f"registration:{card.card_number}", reason="registration", now=now)
        # A referred member's first card earns their referrer points (M5, docs/adr/0044).
        referral_awards.on_card_opened(ctx, session, card, now)
    return cards_pb2.OpenCardResponse(card=message)


def registered_physical_card(ctx: RegionContext, number: str, *, replacing: bool = False) -> card_states.StockEntry:
    """HQ's directory entry of a pre-printed number, which must be registered as physical and homed
    here (card_states.require_registered_here); the caller then checks whose stock it is."""
    entry = ctx.card_directory.resolve(number)
    physical = entry if entry is not None and entry.form == common_pb2.CARD_FORM_PHYSICAL else None
    return card_states.require_registered_here(number, physical, ctx.region_code, replacing=replacing)


def require_usable(card: card_states.CardLike) -> None:
    """The card may pay and be recharged now (card_states.require_usable)."""
    card_states.require_usable(card, utc_now())


def _time_passes(ctx: RegionContext, session: Session, card: Card) -> list[common_pb2.CountUseBalance]:
    """The card's time passes (K4) with today's uses (the region's business day)."""
    now = utc_now()
    return time_passes.balances(session, ctx.program.snapshot(), card.card_type_code, card.card_number,
                                business_date=ctx.store_business_day("", now), now=now)


def get_card(ctx: RegionContext, request: cards_pb2.GetCardRequest) -> cards_pb2.GetCardResponse:
    number = validation.card_number(request.card_number)
    with ctx.session_factory() as session:
        card = load_card(session, number)
        link = card_links.link_of(session, number)
        message = card_message(card, ctx.region_code, card_balances(session, number),
                               main_card_number=link.main_card_number if link else "",
                               linked_monthly_limit_fen=link.monthly_limit_fen if link else 0)
        message.balances.count_uses.extend(count_uses.read_balances(session, number))
        message.balances.count_uses.extend(_time_passes(ctx, session, card))
        return cards_pb2.GetCardResponse(card=message)


def get_balance(ctx: RegionContext, request: cards_pb2.GetBalanceRequest) -> cards_pb2.GetBalanceResponse:
    number = validation.card_number(request.card_number)
    with ctx.session_factory() as session:
        card = load_card(session, number)
        balances = balances_message(card_balances(session, number))
        balances.count_uses.extend(count_uses.read_balances(session, number))
        balances.count_uses.extend(_time_passes(ctx, session, card))
        return cards_pb2.GetBalanceResponse(
            card_number=number, state=enum_value(common_pb2.CardState, "CARD_STATE_", card.state), balances=balances,
        )
