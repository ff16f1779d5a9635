"""Rows of the region's database as chaincard.v1 messages."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar, cast

from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper
from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.db.base import utc_now
from chaincard.v1 import common_pb2
from region_service.ledger_store import POSTED_AT, CardBalances
from region_service.models import Card, LedgerTransaction, Member

EnumT = TypeVar("EnumT", bound=int)


def timestamp(moment: datetime | None) -> Timestamp | None:
    if moment is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def enum_value(enum_type: type[EnumT], prefix: str, short_name: str) -> EnumT:
    """``enum_value(common_pb2.CardState, "CARD_STATE_", "ACTIVE")`` → the enum number (typed as
    that enum, so it goes straight into a message field)."""
    return cast(EnumT, _wrapper(enum_type).Value(prefix + short_name))


def enum_short_name(enum_type: type[int], prefix: str, number: int) -> str:
    return _wrapper(enum_type).Name(number).removeprefix(prefix)


def _wrapper(enum_type: type[int]) -> EnumTypeWrapper:
    """A generated enum class is an EnumTypeWrapper at run time (its metaclass in the stubs)."""
    return cast(EnumTypeWrapper, enum_type)


def balances_message(balances: CardBalances) -> common_pb2.Balances:
    return common_pb2.Balances(principal_fen=balances.principal_fen, bonus_fen=balances.bonus_fen, points=balances.points,
                               owed_fen=balances.owed_fen, points_owed=balances.points_owed)


def member_message(member: Member, home_region: str) -> common_pb2.Member:
    return common_pb2.Member(
        member_id=member.member_id,
        home_region=home_region,
        name=member.name,
        phone_masked=member.phone_masked,
        birthday=member.birthday.isoformat() if member.birthday else "",
        gender=enum_value(common_pb2.Gender, "GENDER_", member.gender),
        email=member.email,
        custom_fields=member.custom_fields,
        tags=member.tags,
        channel=enum_value(common_pb2.RegistrationChannel, "REGISTRATION_CHANNEL_", member.channel),
        registered_store_id=member.registered_store_id,
        registered_at=timestamp(member.registered_at),
        referral_code=member.referral_code or "",
        referrer_member_id=member.referrer_member_id or "",
    )


def card_message(card: Card, home_region: str, balances: CardBalances, *, main_card_number: str = "",
                 linked_monthly_limit_fen: int = 0) -> common_pb2.Card:
    """The card; ``main_card_number`` and its limit for a linked card (C5), when the caller read its link."""
    return common_pb2.Card(
        main_card_number=main_card_number,
        linked_monthly_limit_fen=linked_monthly_limit_fen,
        card_number=card.card_number,
        member_id=card.member_id or "",  # empty: a bearer card
        card_type_code=card.card_type_code,
        form=enum_value(common_pb2.CardForm, "CARD_FORM_", card.form),
        state=enum_value(common_pb2.CardState, "CARD_STATE_", card.state),
        level_code=card.level_code,
        issuing_franchisee_id=card.issuing_franchisee_id,
        issuing_store_id=card.issuing_store_id,
        home_region=home_region,
        balances=balances_message(balances),
        opened_at=timestamp(card.opened_at),
        expires_at=timestamp(card.expires_at),
        pin_set=card.pin_hash is not None,
        pin_locked=card.pin_locked_until is not None and card.pin_locked_until > utc_now(),
        replaced_by_card_number=card.replaced_by_card_number or "",
        replaces_card_number=card.replaces_card_number or "",
    )


# Keys of a transaction's details: what the card owed after it (absent: nothing).
OWED_AFTER = "owed_after_fen"
POINTS_OWED_AFTER = "points_owed_after"
OWED_DELTA = "owed_delta_fen"


# Where an offline advice's coupon conflicts are kept in its transaction's details (docs/adr/0025).
COUPON_CONFLICTS = "coupon_conflicts"


def conflict_messages(details: object) -> list[common_pb2.CouponConflict]:
    """The coupon conflicts kept in a transaction's details (none for any other transaction)."""
    if not isinstance(details, list):
        return []
    return [common_pb2.CouponConflict(coupon_code=str(item.get("coupon_code", "")), template_code=str(item.get("template_code", "")),
                                      discount_fen=int(item.get("discount_fen", 0)), reason=str(item.get("reason", "")))
            for item in details if isinstance(item, dict)]


def posted_at(row: LedgerTransaction) -> datetime | None:
    """When the region posted the row, kept in its details (region_service.ledger_store.POSTED_AT).
    Rows written before it was kept give their created_at (for an offline advice: its approval time)."""
    kept = (row.details or {}).get(POSTED_AT)
    return datetime.fromisoformat(kept) if kept else row.created_at


# Key of a transaction's details: the count-card uses it moved per item (K1).
COUNT_USES = "count_uses"
# Key of a transaction's details: the uses it consumed or returned per item and seller, with their
# value ([{item_code, uses, seller_franchisee_id, value_fen}], docs/adr/0031).
COUNT_USE_CONSUMPTIONS = "count_use_consumptions"


def transaction_message(row: LedgerTransaction, home_region: str) -> common_pb2.Transaction:
    return common_pb2.Transaction(
        transaction_id=row.transaction_id,
        type=enum_value(common_pb2.TransactionType, "TRANSACTION_TYPE_", row.type),
        card_number=row.card_number,
        store_id=row.store_id,
        amount_fen=row.amount_fen,
        principal_delta_fen=row.principal_delta_fen,
        bonus_delta_fen=row.bonus_delta_fen,
        points_delta=row.points_delta,
        balances_after=common_pb2.Balances(
            principal_fen=row.principal_after_fen, bonus_fen=row.bonus_after_fen, points=row.points_after,
            # What the card owed after it (issue 21), kept in the details only when it owed something.
            owed_fen=(row.details or {}).get(OWED_AFTER, 0), points_owed=(row.details or {}).get(POINTS_OWED_AFTER, 0),
        ),
        owed_delta_fen=(row.details or {}).get(OWED_DELTA, 0),
        # An offline advice's coupons its region could not redeem (docs/adr/0025).
        coupon_conflicts=conflict_messages((row.details or {}).get(COUPON_CONFLICTS)),
        occurred_at=timestamp(row.created_at),
        posted_at=timestamp(posted_at(row)),
        business_date=row.business_date.isoformat(),
        original_transaction_id=row.original_transaction_id or "",
        home_region=home_region,
        # Count-card uses moved (K1, docs/adr/0029), kept in the details as {item code: signed uses}.
        count_use_deltas=[common_pb2.CountUseChange(item_code=item, uses_delta=int(delta))
                          for item, delta in sorted(((row.details or {}).get(COUNT_USES) or {}).items()) if delta],
        count_use_consumptions=consumption_messages((row.details or {}).get(COUNT_USE_CONSUMPTIONS)),
        # Who used a linked card's spend (C5, docs/adr/0032; keys as region_service.card_links').
        presenting_card_number=(row.details or {}).get("presenting_card_number", ""),
        funding_card_number=(row.details or {}).get("funding_card_number", ""),
    )


def consumption_messages(details: object) -> list[common_pb2.CountUseConsumption]:
    """The count-use consumptions kept in a transaction's details (none for any other transaction)."""
    if not isinstance(details, list):
        return []
    return [common_pb2.CountUseConsumption(item_code=str(item["item_code"]), uses=int(item["uses"]),
                                           seller_franchisee_id=str(item["seller_franchisee_id"]), value_fen=int(item["value_fen"]))
            for item in details if isinstance(item, dict)]
