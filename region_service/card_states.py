"""The card state machine (C3) and the physical-stock rule (C2): pure rules, no database, no gRPC.

A handler loads the card, asks here whether the command is allowed (a FAILED_PRECONDITION saying
why if not), and writes what the rule says. Every message a caller sees about a card's state is
worded here.

States:  INACTIVE ─activate→ ACTIVE ⇄ FROZEN (freeze/unfreeze)
         ACTIVE/FROZEN ─report lost→ LOST ─cancel loss→ ACTIVE
         ACTIVE ─replace→ REPLACED;  LOST ─reissue→ REPLACED   (balances move to a new number)
         ACTIVE/INACTIVE/LOST/EXPIRED ─close→ CLOSED   (a FROZEN card must be unfrozen first)
         any non-final state past expires_at ─expiry job→ EXPIRED
CLOSED, REPLACED and EXPIRED are final. Only an ACTIVE card within its validity pays and is
recharged; a card's PIN and points still change in every state but CLOSED and REPLACED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chaincard.errors import FailedPrecondition, InvalidArgument

ACTIVE, INACTIVE, LOST, FROZEN = "ACTIVE", "INACTIVE", "LOST", "FROZEN"
CLOSED, EXPIRED, REPLACED = "CLOSED", "EXPIRED", "REPLACED"
STATES = frozenset({ACTIVE, INACTIVE, LOST, FROZEN, CLOSED, EXPIRED, REPLACED})
FINAL_STATES = frozenset({CLOSED, EXPIRED, REPLACED})
# A frozen card is on an operator's hold (e.g. suspected fraud): no money leaves it until unfrozen.
CLOSABLE_STATES = frozenset({ACTIVE, INACTIVE, LOST, EXPIRED})
EXPIRABLE_STATES = frozenset({ACTIVE, INACTIVE, LOST, FROZEN})
# A closed or replaced card is gone for its holder: nothing of it changes any more.
_GONE_STATES = frozenset({CLOSED, REPLACED})


class CardLike(Protocol):
    """What the rules read of a card: an ORM Card and a payment's LockedCard both have it."""

    @property
    def card_number(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def replaced_by_card_number(self) -> str | None: ...


@dataclass(frozen=True)
class Transition:
    """A command that moves a card from one of ``allowed`` to ``target``."""

    action: str  # the audit action
    verb: str  # "card … is lost; it cannot be <verb>"
    allowed: frozenset[str]
    target: str
    # Transitions that make a card usable again refuse a card whose validity has ended.
    refuse_expired: bool = False


ACTIVATE = Transition("card.activate", "activated", frozenset({INACTIVE}), ACTIVE, refuse_expired=True)
REPORT_LOST = Transition("card.report_lost", "reported lost", frozenset({ACTIVE, FROZEN}), LOST)
CANCEL_LOSS = Transition("card.cancel_loss", "restored from a loss report", frozenset({LOST}), ACTIVE, refuse_expired=True)
FREEZE = Transition("card.freeze", "frozen", frozenset({ACTIVE}), FROZEN)
UNFREEZE = Transition("card.unfreeze", "unfrozen", frozenset({FROZEN}), ACTIVE, refuse_expired=True)
# Replacement (换卡) and reissue (补卡) move the balances to a new number and leave the old REPLACED.
REPLACE = Transition("card.replace", "replaced", frozenset({ACTIVE}), REPLACED, refuse_expired=True)
REISSUE = Transition("card.reissue", "reissued", frozenset({LOST}), REPLACED, refuse_expired=True)
CLOSE = Transition("card.close", "closed", CLOSABLE_STATES, CLOSED)


def describe(card: CardLike) -> str:
    """The card's state as a refusal words it: "lost", "replaced by card …"."""
    if card.state == REPLACED and card.replaced_by_card_number:
        return f"replaced by card {card.replaced_by_card_number}"
    return card.state.lower()


def is_expired(card: CardLike, now: datetime) -> bool:
    return card.expires_at is not None and card.expires_at <= now


def is_due_for_expiry(card: CardLike, now: datetime) -> bool:
    """Whether the expiry job marks the card EXPIRED now."""
    return card.state in EXPIRABLE_STATES and is_expired(card, now)


def require_state(card: CardLike, allowed: frozenset[str], verb: str) -> None:
    if card.state not in allowed:
        choices = " or ".join(sorted(state.lower() for state in allowed))
        raise FailedPrecondition(f"card {card.card_number} is {describe(card)}; it cannot be {verb} (only {choices} cards can)")


def require_not_expired(card: CardLike, verb: str, now: datetime) -> None:
    if card.expires_at is not None and card.expires_at <= now:
        raise FailedPrecondition(
            f"card {card.card_number} expired on {card.expires_at.date().isoformat()}; it cannot be {verb}"
        )


def require_transition(card: CardLike, transition: Transition, now: datetime) -> None:
    """``transition`` may move the card now; FAILED_PRECONDITION saying why not otherwise."""
    if transition is CLOSE and card.state == FROZEN:
        raise FailedPrecondition(f"card {card.card_number} is frozen; unfreeze it before closing it")
    require_state(card, transition.allowed, transition.verb)
    if transition.refuse_expired:
        require_not_expired(card, transition.verb, now)


def require_usable(card: CardLike, now: datetime) -> None:
    """The card may pay and be recharged now: ACTIVE and within its validity."""
    if card.state == REPLACED and card.replaced_by_card_number:
        raise FailedPrecondition(f"card {card.card_number} was replaced by card {card.replaced_by_card_number}; use that one")
    if card.state != ACTIVE:
        raise FailedPrecondition(f"card {card.card_number} is {card.state.lower()}; it cannot be used")
    if card.expires_at is not None and card.expires_at <= now:
        raise FailedPrecondition(f"card {card.card_number} expired on {card.expires_at.date().isoformat()}")


def require_pin_changeable(card: CardLike, verb: str) -> None:
    """A PIN is set, changed and reset in every state but closed and replaced."""
    if card.state in _GONE_STATES:
        raise FailedPrecondition(f"card {card.card_number} is {describe(card)}; its PIN cannot be {verb}")


def require_points_adjustable(card: CardLike) -> None:
    if card.state in _GONE_STATES:
        raise FailedPrecondition(f"card {card.card_number} is {card.state.lower()}; its points cannot change")


# ---- the physical-stock rule (C2) -------------------------------------------------------------------

class StockEntry(Protocol):
    """HQ's card-directory entry of a pre-printed (physical) card number."""

    @property
    def home_region(self) -> str: ...
    @property
    def franchisee_id(self) -> str: ...
    @property
    def card_type_code(self) -> str: ...


def require_registered_here(number: str, entry: StockEntry | None, region_code: str, *, replacing: bool = False) -> StockEntry:
    """A pre-printed number must be registered in HQ's card directory as a physical card (``entry``
    is None otherwise), homed in this region. ``replacing``: the balances of a card of this region
    move onto it."""
    if entry is None:
        raise FailedPrecondition(f"card {number} is not registered in the chain's card directory")
    if entry.home_region != region_code:
        home = ", not to the card's home region" if replacing else ""
        raise FailedPrecondition(f"card {number} belongs to region {entry.home_region}'s stock{home}")
    return entry


def require_stock_of(number: str, entry: StockEntry, *, franchisee_id: str, card_type_code: str, replacing: str = "") -> None:
    """…and be stock of the franchisee that carries the card's liability, printed for its card type
    (or for any). A new card is issued from the issuing store's franchisee's stock; a replacement
    (``replacing``: the old card's number) never moves liability between franchisees."""
    if entry.franchisee_id != franchisee_id:
        whose = f"; card {replacing} was issued by {franchisee_id}" if replacing else ", not of this store's"
        raise FailedPrecondition(f"card {number} is stock of franchisee {entry.franchisee_id}{whose}")
    if entry.card_type_code and entry.card_type_code != card_type_code:
        if replacing:
            raise FailedPrecondition(f"card {number} was printed for card type {entry.card_type_code}, not {card_type_code}")
        raise InvalidArgument("card_type_code", f"card {number} was printed for card type {entry.card_type_code}")
