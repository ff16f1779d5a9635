"""QR member codes at a store that cannot reach the card's home region (docs/adr/0026).

The home region gives the store each cached virtual card's own key (RefreshCardCache,
CachedCard.member_code_key), never its secret; the store verifies a code with it and its own clock,
with the very check the region uses (chaincard.member_codes.verify), and remembers the codes its
offline sales took (offline_member_code_uses), so the same code is refused here. A code of a card
this store holds no key for cannot be checked: it is refused, saying so.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from chaincard import member_codes
from chaincard.errors import FailedPrecondition
from chaincard.v1 import common_pb2, members_pb2
from store_agent.models import CachedCard, OfflineMemberCodeUse


class NotCheckableHere(Exception):
    """This store holds no key for the code's card: the stand-in refuses, giving ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def checked_offline(session: Session, text: str, now: datetime, field: str = "card_number") -> member_codes.MemberCode:
    """The code, genuine (else INVALID_ARGUMENT naming ``field``), fresh by this store's clock and not
    taken by an offline sale of this store (else FAILED_PRECONDITION), or NotCheckableHere. Reads only."""
    code = member_codes.parse(text, field)
    card = session.get(CachedCard, code.card_number)
    if card is None or not card.member_code_key:
        raise NotCheckableHere(f"the member code of card ...{code.card_number[-4:]} cannot be checked offline: this "
                               "store has not been given the card's key (it has not seen the card recently)")
    member_codes.verify(code, card.member_code_key, now, field)
    used = session.get(OfflineMemberCodeUse, (code.card_number, code.issued_at))
    if used is not None:
        raise FailedPrecondition(f"member code already used (offline sale {used.advice_id} at this store, "
                                 f"{used.used_at:%H:%M:%S} UTC); show a fresh one")
    return code


def take_offline(session: Session, code: member_codes.MemberCode, advice_id: str, now: datetime) -> None:
    """Record the code as taken by the offline sale ``advice_id``, in the sale's own transaction."""
    session.add(OfflineMemberCodeUse(card_number=code.card_number, issued_at=code.issued_at, advice_id=advice_id, used_at=now))


def found_offline(card: CachedCard) -> members_pb2.FindMemberResponse:
    """FindMember's answer from the card cache: the holder's id and home region (the profile is never
    cached at a store) and the card as last known, with its last known balances."""
    state = common_pb2.CardState.Value("CARD_STATE_" + card.state) if card.state else common_pb2.CARD_STATE_UNSPECIFIED
    message = common_pb2.Card(
        card_number=card.card_number, member_id=card.member_id, card_type_code=card.card_type_code,
        form=common_pb2.CARD_FORM_VIRTUAL, state=state, level_code=card.level_code,  # type: ignore[arg-type]
        issuing_franchisee_id=card.issuing_franchisee_id, home_region=card.home_region, pin_set=card.pin_set,
        balances=common_pb2.Balances(principal_fen=card.principal_fen, bonus_fen=card.bonus_fen, points=card.points,
                                     owed_fen=card.owed_fen),
    )
    if card.expires_at is not None:
        message.expires_at.FromDatetime(card.expires_at)
    return members_pb2.FindMemberResponse(
        member=common_pb2.Member(member_id=card.member_id, home_region=card.home_region), cards=[message])
