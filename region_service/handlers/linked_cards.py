"""Linked cards (关联卡/家庭卡, C5; docs/adr/0032): LinkCard, UnlinkCard, ListLinkedCards.

LinkCard and UnlinkCard run in the main card's home region through the command pipeline (once per
request_id), lock both cards in card-number order, and are audited on the linked card. Unlinking
moves nothing. The rules are chaincard.linked_cards'.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chaincard import card_types, linked_cards
from chaincard.db.base import utc_now
from chaincard.errors import FailedPrecondition
from chaincard.v1 import cards_pb2, common_pb2
from region_service import audit, card_links, card_states, validation
from region_service.context import RegionContext
from region_service.ledger_store import card_balances
from region_service.models import Card, CardLink
from region_service.repository import load_card, lock_cards
from region_service.translate import enum_value, timestamp
from region_service.unit_of_work import RegionUnitOfWork

MAX_REASON = 200


def link_message(ctx: RegionContext, session: Session, link: CardLink, linked: Card) -> cards_pb2.LinkedCard:
    month, spent = card_links.spent_this_month(session, link.linked_card_number, utc_now(), ctx.settings.business_time_zone)
    return cards_pb2.LinkedCard(
        main_card_number=link.main_card_number, linked_card_number=link.linked_card_number, member_id=linked.member_id,
        state=enum_value(common_pb2.CardState, "CARD_STATE_", linked.state), monthly_limit_fen=link.monthly_limit_fen,
        spent_this_month_fen=spent, month=month, linked_at=timestamp(link.linked_at),
    )


def _store_id(ctx: RegionContext, store_id: str) -> str:
    return ctx.program.store(store_id).store_id if store_id else ""


def link_card(uow: RegionUnitOfWork, request: cards_pb2.LinkCardRequest) -> cards_pb2.LinkCardResponse:
    ctx, session = uow.region, uow.session
    main_number = validation.card_number(request.card_number)
    linked_number = validation.card_number(request.linked_card_number, "linked_card_number")
    limit = linked_cards.monthly_limit(request.monthly_limit_fen)
    reason = validation.optional_text("reason", request.reason, max_length=MAX_REASON)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    store_id = _store_id(ctx, request.store_id)
    linked_region = ctx.home_region_of(linked_number)
    linked_cards.require_distinct_and_same_region(main_number, linked_number, main_region=ctx.region_code,
                                                  linked_region=linked_region)
    cards = lock_cards(session, [main_number, linked_number])
    main, linked = cards[main_number], cards[linked_number]
    card_states.require_state(main, frozenset({card_states.ACTIVE}), "a main card")
    card_states.require_state(linked, frozenset({card_states.ACTIVE}), "linked")
    card_types.rules_of(ctx.program.snapshot(), main.card_type_code).require_stored_value(
        f"card {main_number} cannot share stored value with a linked card")
    existing = card_links.link_of(session, linked_number)
    held = card_balances(session, linked_number)
    main_link = card_links.link_of(session, main_number)
    linked_cards.require_linkable(linked_cards.LinkFacts(
        main_card_number=main_number, linked_card_number=linked_number, main_region=ctx.region_code,
        linked_region=linked_region, main_is_linked_to=main_link.main_card_number if main_link else None,
        linked_is_linked_to=existing.main_card_number if existing else None,
        links_of_linked=card_links.count_links_of(session, linked_number),
        other_links_of_main=card_links.count_links_of(session, main_number) - (1 if existing else 0),
        linked_stored_value_fen=held.principal_fen + held.bonus_fen,
    ))
    before = {"main_card_number": main_number, "monthly_limit_fen": existing.monthly_limit_fen} if existing else None
    if existing is None:
        existing = CardLink(linked_card_number=linked_number, main_card_number=main_number, monthly_limit_fen=limit,
                            linked_at=utc_now())
        session.add(existing)
    else:
        existing.monthly_limit_fen, existing.linked_at = limit, utc_now()
    session.flush()
    audit.record(
        session, ctx, action="card.link", target_type="card", target_id=linked_number, operator_id=operator_id,
        store_id=store_id, franchisee_id=linked.issuing_franchisee_id, request_id=request.request_id, reason=reason,
        before=before, after={"main_card_number": main_number, "monthly_limit_fen": limit},
    )
    card_links.announce(ctx, session, linked_number, main_number, cause=card_links.LINKED, operator_id=operator_id)
    return cards_pb2.LinkCardResponse(link=link_message(ctx, session, existing, linked))


def unlink_card(uow: RegionUnitOfWork, request: cards_pb2.UnlinkCardRequest) -> cards_pb2.UnlinkCardResponse:
    """Remove the link; nothing moves (docs/adr/0032)."""
    ctx, session = uow.region, uow.session
    main_number = validation.card_number(request.card_number)
    linked_number = validation.card_number(request.linked_card_number, "linked_card_number")
    reason = validation.optional_text("reason", request.reason, max_length=MAX_REASON)
    operator_id = validation.optional_text("operator_id", request.operator_id)
    store_id = _store_id(ctx, request.store_id)
    if ctx.home_region_of(linked_number) != ctx.region_code:
        raise FailedPrecondition(f"card {linked_number} is not linked to main card {main_number}")
    cards = lock_cards(session, [main_number, linked_number])
    link = card_links.link_of(session, linked_number)
    if link is None or link.main_card_number != main_number:
        raise FailedPrecondition(f"card {linked_number} is not linked to main card {main_number}")
    linked = cards[linked_number]
    message = link_message(ctx, session, link, linked)
    session.delete(link)
    session.flush()
    audit.record(
        session, ctx, action="card.unlink", target_type="card", target_id=linked_number, operator_id=operator_id,
        store_id=store_id, franchisee_id=linked.issuing_franchisee_id, request_id=request.request_id, reason=reason,
        before={"main_card_number": main_number, "monthly_limit_fen": link.monthly_limit_fen}, after=None,
    )
    card_links.announce(ctx, session, linked_number, main_number, cause=card_links.UNLINKED, operator_id=operator_id)
    return cards_pb2.UnlinkCardResponse(link=message)


def list_linked_cards(ctx: RegionContext, request: cards_pb2.ListLinkedCardsRequest) -> cards_pb2.ListLinkedCardsResponse:
    main_number = validation.card_number(request.card_number)
    with ctx.session_factory() as session:
        load_card(session, main_number)  # NOT_FOUND for an unknown card
        links = card_links.links_of_main(session, main_number)
        return cards_pb2.ListLinkedCardsResponse(links=[
            link_message(ctx, session, link, load_card(session, link.linked_card_number)) for link in links])
