"""How a sale at a till that is not a checkout is paid (count-use packs K1, paid levels L2): an
external tender (cash, bank card, mobile pay: outside the ledger, as a cash checkout is) or the
card's own stored value, PIN checked, split into principal and bonus by the chain's rule and posted
to the seller's STORED_VALUE_REDEEMED, as a checkout paid by stored value is. Written once here so
every such sale pays the same way."""

from __future__ import annotations

from dataclasses import dataclass, field

from chaincard.checkout.terms import split_rule
from chaincard.commands import CommitThenRefuse
from chaincard.errors import FailedPrecondition
from chaincard.ledger import Posting
from chaincard.ledger.receivables import spendable_stored_value
from chaincard.money import format_fen
from chaincard.pricing import StoredValue, TenderKind, split_stored_value
from chaincard.v1 import common_pb2
from region_service import pins
from region_service.handlers.payments import stored_value_postings
from region_service.models import Card
from region_service.repository import LockedAccounts
from region_service.unit_of_work import RegionUnitOfWork

TENDERS = {
    common_pb2.TENDER_TYPE_CASH: TenderKind.CASH,
    common_pb2.TENDER_TYPE_BANK_CARD: TenderKind.BANK_CARD,
    common_pb2.TENDER_TYPE_MOBILE_PAY: TenderKind.MOBILE_PAY,
    common_pb2.TENDER_TYPE_STORED_VALUE: TenderKind.STORED_VALUE,
}


@dataclass
class TillPayment:
    """The postings paying the price (none for an external tender) and the stored value it took."""

    postings: list[Posting] = field(default_factory=list)
    principal_fen: int = 0
    bonus_fen: int = 0


def pay(uow: RegionUnitOfWork, *, card_number: str, locked: LockedAccounts, franchisee_id: str, store_id: str,
        price_fen: int, tender: TenderKind, pin: str, operator_id: str, request_id: str, what: str,
        purpose: str) -> TillPayment:
    """Pay ``price_fen`` for ``what`` on ``card_number`` (its accounts locked in ``locked``). A wrong
    PIN is recorded and then refused (CommitThenRefuse); too little stored value: FAILED_PRECONDITION."""
    if tender is not TenderKind.STORED_VALUE or not price_fen:
        return TillPayment()
    ctx, session = uow.region, uow.session
    holder = session.get(Card, card_number)
    assert holder is not None  # locked by the caller
    if holder.pin_hash is not None:
        refusal = pins.check_pin(ctx, session, holder, pin, purpose=purpose, store_id=store_id,
                                 operator_id=operator_id, request_id=request_id)
        if refusal is not None:
            raise CommitThenRefuse(refusal)
    held = locked.balances(card_number)
    spendable = StoredValue(*spendable_stored_value(held.principal_fen, held.bonus_fen, held.owed_fen))
    if price_fen > spendable.total_fen:
        raise FailedPrecondition(f"card {card_number} has {format_fen(spendable.total_fen)} of stored value to spend; "
                                 f"{what} costs {format_fen(price_fen)}")
    principal, bonus = split_stored_value(price_fen, spendable, split_rule(ctx.program.snapshot()))
    postings = stored_value_postings(session, franchisee_id, card_number, principal, bonus, accounts=locked.ids(card_number))
    return TillPayment(list(postings), principal, bonus)
