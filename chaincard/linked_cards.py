"""Linked cards (关联卡/家庭卡, C5; docs/adr/0032): the rules, written once and pure.

A main card shares its stored value with at most :data:`MAX_LINKED_CARDS` linked cards. A linked
card's stored-value tender draws on the main card, at most its monthly limit per calendar month in
the chain's time zone, net of refunds. The region's handlers hold the facts (cards, links, usage)
under the cards' row locks and ask these functions; each refusal is worded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from chaincard.errors import FailedPrecondition, InvalidArgument

# How many cards one main card shares its stored value with.
MAX_LINKED_CARDS = 5
# The largest monthly limit, in fen (¥50,000, the largest recharge).
MAX_MONTHLY_LIMIT_FEN = 5_000_000


def month_of(moment: datetime, time_zone: str) -> str:
    """The calendar month ``moment`` falls in, in the chain's time zone: "YYYY-MM"."""
    return moment.astimezone(ZoneInfo(time_zone)).strftime("%Y-%m")


def monthly_limit(value: int, field: str = "monthly_limit_fen") -> int:
    """A monthly limit in fen, 1..MAX_MONTHLY_LIMIT_FEN; INVALID_ARGUMENT naming ``field`` otherwise."""
    if not 0 < value <= MAX_MONTHLY_LIMIT_FEN:
        raise InvalidArgument(field, f"must be between 1 and {MAX_MONTHLY_LIMIT_FEN} fen")
    return value


@dataclass(frozen=True)
class LinkFacts:
    """What LinkCard decides on, read under both cards' row locks."""

    main_card_number: str
    linked_card_number: str
    main_region: str
    linked_region: str
    # The main card is itself linked to this card (None: it is not linked).
    main_is_linked_to: str | None
    # The card the would-be linked card is linked to already (None: none).
    linked_is_linked_to: str | None
    # How many cards the would-be linked card has linked to it.
    links_of_linked: int
    # The main card's linked cards other than this one.
    other_links_of_main: int
    # The stored value (principal + bonus, fen) the would-be linked card holds.
    linked_stored_value_fen: int


def require_linkable(facts: LinkFacts) -> None:
    """FAILED_PRECONDITION saying why the link cannot be made; None when it can. A card already
    linked to this same main card may be linked again (its limit changes)."""
    main, linked = facts.main_card_number, facts.linked_card_number
    require_distinct_and_same_region(main, linked, main_region=facts.main_region, linked_region=facts.linked_region)
    if facts.main_is_linked_to is not None:
        raise FailedPrecondition(f"card {main} is itself linked to main card {facts.main_is_linked_to}: a linked card "
                                 "cannot be a main card")
    if facts.links_of_linked:
        raise FailedPrecondition(f"card {linked} is a main card with {facts.links_of_linked} linked card(s): a main card "
                                 "cannot be linked")
    if facts.linked_is_linked_to is not None and facts.linked_is_linked_to != main:
        raise FailedPrecondition(f"card {linked} is already linked to main card {facts.linked_is_linked_to}; unlink it "
                                 "there first")
    if facts.linked_is_linked_to is None and facts.other_links_of_main >= MAX_LINKED_CARDS:
        raise FailedPrecondition(f"main card {main} already has {MAX_LINKED_CARDS} linked cards, the most it may have")
    if facts.linked_stored_value_fen:
        raise FailedPrecondition(f"card {linked} holds {facts.linked_stored_value_fen} fen of its own stored value; a linked "
                                 "card spends its main card's: spend it first")


def require_distinct_and_same_region(main: str, linked: str, *, main_region: str, linked_region: str) -> None:
    """The two cards differ (INVALID_ARGUMENT) and share a home region (FAILED_PRECONDITION)."""
    if main == linked:
        raise InvalidArgument("linked_card_number", "must differ from card_number (the main card)")
    if linked_region != main_region:
        raise FailedPrecondition(
            f"card {linked} is homed in region {linked_region} and main card {main} in region {main_region}: "
            "a linked card must share its main card's home region, where the shared stored value is posted")


def require_within_limit(linked_card_number: str, *, limit_fen: int, spent_fen: int, amount_fen: int, month: str) -> None:
    """A linked card's spend of ``amount_fen`` from its main card, having spent ``spent_fen`` this
    ``month``: FAILED_PRECONDITION when it would pass the monthly limit."""
    if spent_fen + amount_fen > limit_fen:
        raise FailedPrecondition(
            f"linked card {linked_card_number} may spend {limit_fen} fen of its main card's stored value in {month}; "
            f"{spent_fen} fen spent, this sale needs {amount_fen} fen ({max(limit_fen - spent_fen, 0)} fen left)")


def not_rechargeable(linked_card_number: str, main_card_number: str) -> FailedPrecondition:
    """A linked card holds no stored value of its own: its main card is recharged instead."""
    return FailedPrecondition(f"card {linked_card_number} is linked to main card {main_card_number} and spends its stored "
                              "value: recharge the main card")
