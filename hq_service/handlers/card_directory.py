"""The HQ card directory (C2): pre-printed physical numbers and the region each one lives in."""

from __future__ import annotations

from sqlalchemy.orm import Session

from chaincard.commands import UnitOfWork
from chaincard.errors import InvalidArgument, NotFound
from chaincard.ids import is_ascii_digits, is_virtual_card_number, region_prefix_of
from chaincard.v1 import common_pb2, member_index_pb2
from hq_service import audit_log
from hq_service.models import Franchisee, PhysicalCard, Region

MAX_BATCH = 10_000


def register_physical_cards(uow: UnitOfWork, request: member_index_pb2.RegisterPhysicalCardsRequest) -> member_index_pb2.RegisterPhysicalCardsResponse:
    """A command handler (run by HQ's command runner): a repeat gets the first batch's answer."""
    session = uow.session
    if not request.cards:
        raise InvalidArgument("cards", "needs at least one card number")
    if len(request.cards) > MAX_BATCH:
        raise InvalidArgument("cards", f"at most {MAX_BATCH} numbers per call")
    regions = {region.code for region in session.query(Region)}
    franchisees = {franchisee.franchisee_id for franchisee in session.query(Franchisee)}
    registered, conflicts = 0, []
    for index, entry in enumerate(request.cards):
        number = entry.card_number
        if not is_ascii_digits(number) or not 8 <= len(number) <= 32:
            raise InvalidArgument(f"cards[{index}].card_number", "must be 8 to 32 digits")
        if number.startswith("88") and len(number) == 15:
            raise InvalidArgument(f"cards[{index}].card_number", "the 88 prefix of 15 digits is reserved for virtual cards")
        if entry.home_region not in regions:
            raise InvalidArgument(f"cards[{index}].home_region", f"unknown region {entry.home_region!r}")
        if entry.franchisee_id not in franchisees:
            raise InvalidArgument(f"cards[{index}].franchisee_id", f"unknown franchisee {entry.franchisee_id!r}")
        if len(entry.card_type_code) > 32:
            raise InvalidArgument(f"cards[{index}].card_type_code", "must be at most 32 characters")
        existing = session.get(PhysicalCard, number)
        if existing is None:
            session.add(PhysicalCard(card_number=number, home_region=entry.home_region, franchisee_id=entry.franchisee_id,
                                     card_type_code=entry.card_type_code))
            registered += 1
        elif (existing.home_region, existing.franchisee_id, existing.card_type_code) == (
            entry.home_region, entry.franchisee_id, entry.card_type_code,
        ):
            registered += 1
        else:
            conflicts.append(number)
    # One entry per batch (up to 10,000 numbers): its range and outcome, not every number.
    numbers = sorted(entry.card_number for entry in request.cards)
    audit_log.record(session, action=audit_log.rpc("MemberIndexService", "RegisterPhysicalCards"), target_type="card_batch",
                     target_id=f"{numbers[0]}..{numbers[-1]}", request_id=request.request_id,
                     after={"numbers": len(numbers), "first": numbers[0], "last": numbers[-1], "registered_count": registered,
                            "conflicts": conflicts[:100]})
    return member_index_pb2.RegisterPhysicalCardsResponse(registered_count=registered, conflicts=conflicts)


def resolve_card_number(session: Session, request: member_index_pb2.ResolveCardNumberRequest) -> member_index_pb2.ResolveCardNumberResponse:
    number = request.card_number
    if not number:
        raise InvalidArgument("card_number", "is required")
    if is_virtual_card_number(number):
        prefix = region_prefix_of(number)
        region = session.query(Region).filter(Region.card_prefix == prefix).one_or_none()
        if region is None:
            raise NotFound(f"no region has card prefix {prefix}")
        return member_index_pb2.ResolveCardNumberResponse(card_number=number, home_region=region.code, form=common_pb2.CARD_FORM_VIRTUAL)
    card = session.get(PhysicalCard, number)
    if card is None:
        raise NotFound(f"card number {number} is not in the chain's card directory")
    return member_index_pb2.ResolveCardNumberResponse(
        card_number=number, home_region=card.home_region, form=common_pb2.CARD_FORM_PHYSICAL,
        franchisee_id=card.franchisee_id, card_type_code=card.card_type_code,
    )
