"""What a card's type allows (C1): HQ's CardType flags as rules, pure (no database, no gRPC), read by
the region's recharge, checkout, quote and points commands and by the store agent's offline stand-in
through the checkout core (chaincard.checkout.request.pricing_input). docs/adr/0028-card-types.md.

- ``stored_value`` false: the card is never recharged and never pays by stored value (its own or as
  a second member card).
- ``points`` false: the card earns no points, uses none as cash at checkout, redeems no points offer
  and takes no manual adjustment.
- ``discount`` false: the card's level gives no member discount; its points multiplier still applies.
- ``count_uses`` / ``time_limited``: whether the card may hold count-card uses (K1) or time-card
  periods (K4); :meth:`CardTypeRules.require_count_uses` and :meth:`CardTypeRules.require_time_limited`
  are the refusals the count and time card commands use (issue 14 items 2 and 4).
- ``trial``: a trial card (体验卡) is never recharged; it expires ``validity_days`` after opening as
  every card does (the card's ``expires_at``, set at opening).

- conversion (:func:`conversion_target`, docs/adr/0034): a trial type naming
  ``converts_to_card_type_code`` converts its card to that type on the first recharge of at least
  ``conversion_min_recharge_fen``, in the recharge's transaction, before the money lands; the card then
  follows the new type's rules (validity from the conversion, its default level when better).
- ``anonymous``: a bearer card (不记名卡) is opened without a member (:func:`require_member_rule`).

- renewal (RenewCard, :func:`renewed_expiry`): a card whose validity has ended or ends within
  ``RENEWAL_WINDOW`` gets ``validity_days`` more, counted from the later of now and its old expiry;
  never a trial card (it is a taste, not a product) nor a type with no ``validity_days``.

A refusal is FAILED_PRECONDITION naming the card type and the flag. A card whose type the snapshot
does not list (a snapshot older than the type) is not restricted: the region refuses unknown types
when a card is opened, so this is only a transient state of a store's copy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.v1 import program_config_pb2 as pc

# How long before its end a card may be renewed (an expired one always may).
RENEWAL_WINDOW = timedelta(days=30)


class CardTypeRefused(FailedPrecondition):
    """The card's type does not allow what was asked; ``flag`` is the CardType field at fault."""

    def __init__(self, card_type_code: str, flag: str, problem: str) -> None:
        super().__init__(f"card type {card_type_code} {problem} ({flag})")
        self.card_type_code = card_type_code
        self.flag = flag


@dataclass(frozen=True)
class CardTypeRules:
    """The flags that change what a card may do; all allowed for a type the snapshot does not list."""

    code: str
    stored_value: bool = True
    points: bool = True
    discount: bool = True
    trial: bool = False
    count_uses: bool = True
    time_limited: bool = True

    @property
    def rechargeable(self) -> bool:
        return self.stored_value and not self.trial

    def require_stored_value(self, what: str) -> None:
        if not self.stored_value:
            raise CardTypeRefused(self.code, "stored_value", f"carries no stored value: {what}")

    def require_rechargeable(self) -> None:
        """A recharge is allowed: the type carries stored value and is not a trial card."""
        self.require_stored_value("the card cannot be recharged")
        if self.trial:
            raise CardTypeRefused(self.code, "trial", "is a trial card: the card cannot be recharged")

    def require_points(self, what: str) -> None:
        if not self.points:
            raise CardTypeRefused(self.code, "points", f"carries no points: {what}")

    def require_count_uses(self, what: str) -> None:
        if not self.count_uses:
            raise CardTypeRefused(self.code, "count_uses", f"holds no count-card uses: {what}")

    def require_time_limited(self, what: str) -> None:
        if not self.time_limited:
            raise CardTypeRefused(self.code, "time_limited", f"is not a time card: {what}")


def find(card_types: Iterable[pc.CardType], code: str) -> pc.CardType | None:
    return next((card_type for card_type in card_types if card_type.code == code), None)


def rules(card_type: pc.CardType | None, code: str = "") -> CardTypeRules:
    """The rules of ``card_type``; unrestricted (named ``code``) when it is None."""
    if card_type is None:
        return CardTypeRules(code=code)
    # A bearer card (anonymous) has no member to earn for: it carries no points whatever the flag says.
    return CardTypeRules(code=card_type.code, stored_value=card_type.stored_value,
                         points=card_type.points and not card_type.anonymous,
                         discount=card_type.discount, trial=card_type.trial, count_uses=card_type.count_uses,
                         time_limited=card_type.time_limited)


def rules_of(snapshot: pc.ConfigSnapshot, code: str) -> CardTypeRules:
    """The rules of the card type ``code`` in HQ's ``snapshot``."""
    return rules(find(snapshot.card_types, code), code)


def conversion_target(snapshot: pc.ConfigSnapshot, card_type_code: str, amount_fen: int) -> pc.CardType | None:
    """The type a card of ``card_type_code`` converts to on a recharge of ``amount_fen``, or None when
    it is no convertible trial type (the recharge then follows the type's own rules). A recharge of a
    convertible trial card below its type's ``conversion_min_recharge_fen`` is refused."""
    card_type = find(snapshot.card_types, card_type_code)
    if card_type is None or not card_type.trial or not card_type.converts_to_card_type_code:
        return None
    target = find(snapshot.card_types, card_type.converts_to_card_type_code)
    if target is None or target.trial or not target.stored_value:
        # HQ refuses such a target; a store's older copy may lack it: the trial card stays as it is.
        return None
    if amount_fen < card_type.conversion_min_recharge_fen:
        raise CardTypeRefused(card_type.code, "conversion_min_recharge_fen",
                              f"is a trial card: it converts to {target.code} on a recharge of at least "
                              f"{card_type.conversion_min_recharge_fen} fen")
    return target


def converted_expiry(target: pc.CardType, now: datetime) -> datetime | None:
    """A converted card's validity end: the new type's ``validity_days`` from the conversion."""
    return now + timedelta(days=target.validity_days) if target.validity_days > 0 else None


def require_member_rule(card_type: pc.CardType, member_id: str) -> None:
    """OpenCard's member rule: a bearer (``anonymous``) type takes no member, every other type needs one."""
    if card_type.anonymous and member_id:
        raise InvalidArgument("member_id", f"must be empty: card type {card_type.code} is a bearer card (anonymous)")
    if not card_type.anonymous and not member_id:
        raise InvalidArgument("member_id", f"is required: card type {card_type.code} is not a bearer card (anonymous)")


def renewed_expiry(card_type: pc.CardType, card_number: str, expires_at: datetime | None, now: datetime) -> datetime:
    """The card's new expiry when renewed now (RenewCard), or FAILED_PRECONDITION saying why not."""
    if card_type.trial:
        raise CardTypeRefused(card_type.code, "trial", "is a trial card: the card cannot be renewed")
    if card_type.validity_days <= 0:
        raise CardTypeRefused(card_type.code, "validity_days", "never expires: the card cannot be renewed")
    if expires_at is None:
        raise FailedPrecondition(f"card {card_number} never expires; there is nothing to renew")
    if expires_at - now > RENEWAL_WINDOW:
        raise FailedPrecondition(f"card {card_number} is valid until {expires_at.date().isoformat()}; it can be renewed "
                                 f"from {(expires_at - RENEWAL_WINDOW).date().isoformat()}")
    return max(expires_at, now) + timedelta(days=card_type.validity_days)
