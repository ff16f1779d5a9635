"""Recording one business transaction in the region: ledger rows, balances after, receipt text and
the TransactionPosted event — all in the caller's unit of work (STYLE rule 4), written with Core
statements (see region_service.ledger_store for why)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import LargeBinary, String, bindparam, insert
from sqlalchemy.orm import Session

from chaincard.checkout.receipt import card_footer, receipt_lines
from chaincard.db.base import table_of
from chaincard.db.outbox import outbox_row
from chaincard.events import topics
from chaincard.events.envelope import wrap
from chaincard.ledger import Posting
from chaincard.receipts import ReceiptItem, render, to_document
from chaincard.v1 import common_pb2, events_pb2, transactions_pb2
from region_service.context import RegionContext
from region_service.ledger_store import LockedAccounts, PreparedPost, post_transaction, prepare_post
from region_service.levels import upgrade_after
from region_service.models import LedgerTransaction, OutboxMessage, ReceiptRecord
from region_service.points_lots import expiry_policy
from region_service.translate import balances_message, enum_value, transaction_message

# The receipt and the TransactionPosted event in one statement (one round trip), built once. The
# outbox row's values are passed under its column names (chaincard.db.outbox.outbox_row).
_KEEP_RECEIPT_AND_EVENT = insert(table_of(OutboxMessage)).add_cte(
    insert(table_of(ReceiptRecord))
    .values(transaction_id=bindparam("receipt_transaction_id", type_=String), lines=bindparam("receipt_lines", type_=LargeBinary))
    .cte("receipt")
)


class CardFacts(Protocol):
    """What posting needs to know of a card: an ORM Card and a payment's LockedCard both have it."""

    @property
    def card_number(self) -> str: ...
    @property
    def member_id(self) -> str | None: ...
    @property
    def issuing_franchisee_id(self) -> str: ...
    @property
    def issuing_store_id(self) -> str: ...


@dataclass(frozen=True)
class PendingWrites:
    """What :func:`record_transaction` would have written, when told to ``defer``: the posting, the
    receipt document and the outbox row (its values under the table's column names)."""

    post: PreparedPost
    receipt_lines: bytes
    outbox: dict[str, Any]


@dataclass(frozen=True)
class Recorded:
    transaction: common_pb2.Transaction
    balances_after: common_pb2.Balances
    receipt: list[common_pb2.ReceiptLine]
    pending: PendingWrites | None = None  # only when deferred: the caller writes it


def receipt_document(title: str, items: list[ReceiptItem]) -> bytes:
    """The receipt as stored for reprints (chaincard.receipts' document), printable at any width."""
    return to_document(title, items).encode()


def applied_tender(stored: Mapping[str, Any]) -> transactions_pb2.AppliedTender:
    """A tender as kept in a transaction's details (``{"type": "CASH", "amount_fen": …}``)."""
    return transactions_pb2.AppliedTender(
        type=enum_value(common_pb2.TenderType, "TENDER_TYPE_", stored["type"]),
        amount_fen=stored["amount_fen"],
        principal_fen=stored.get("principal_fen", 0),
        bonus_fen=stored.get("bonus_fen", 0),
        card_number=stored.get("card_number", ""),
    )


def posting_message(posting: Posting) -> common_pb2.Posting:
    asset, _, item = posting.asset.partition(":")
    return common_pb2.Posting(
        account_id=posting.account_id,
        asset=enum_value(common_pb2.Asset, "ASSET_", asset),
        asset_item=item,
        direction=enum_value(common_pb2.PostingDirection, "POSTING_DIRECTION_", posting.direction.value),
        amount=posting.amount,
    )


def record_transaction(
    ctx: RegionContext,
    session: Session,
    *,
    row: LedgerTransaction,
    postings: list[Posting],
    card: CardFacts,
    acquiring_franchisee_id: str,
    receipt_title: str,
    receipt_items: list[ReceiptItem],
    tenders: Sequence[transactions_pb2.AppliedTender] = (),
    coupons: Sequence[transactions_pb2.AppliedCoupon] = (),
    points_earned: int = 0,
    points_redeemed: int = 0,
    subtotal_fen: int = 0,
    discount_fen: int = 0,
    points_deduction_fen: int = 0,
    locked: LockedAccounts | None = None,
    overdrawn: bool = False,
    operator_id: str = "",
    request_id: str = "",
    memo: bool = False,
    company_id: str = "",
    defer: bool = False,
) -> Recorded:
    """Post ``postings`` under ``row`` (whose *_after fields are filled here), keep the receipt (the
    caller's lines, then the card footer), and publish TransactionPosted through the outbox, keyed by
    card number. ``locked``: the card accounts the caller already holds
    (region_service.ledger_store.lock_card_accounts).

    ``overdrawn``, ``operator_id`` and ``request_id`` are set on the Transaction of the answer and of
    the event alike: an offline advice the card could not cover is flagged overdrawn, and an advice
    names its till's operator and request; online answers leave them unset.

    ``coupons``: on a sale, the coupons it used; on a refund or void, those whose flow it reverses
    (docs/adr/0021). The event carries them (settlement clears each between franchisees); the
    Transaction message has no field for them, so the row's details keep them.

    ``memo``: the row may have no postings (region_service.ledger_store.post_transaction).
    ``company_id``: the company account of a COMPANY_RECHARGE, carried on the event (C6).

    ``defer``: write nothing; the answer's ``pending`` holds the writes, for the one-round-trip
    checkout's database function (region_service.one_trip, docs/adr/0052). The caller must know
    that no level can move (the level rules read and write the card)."""
    # The card's points lots follow its POINTS postings there, lots earned expiring by the chain's policy (ADR 0022).
    policy, time_zone = expiry_policy(ctx.program.snapshot().points_expiry), ctx.settings.business_time_zone
    prepared = None
    if defer:
        prepared = prepare_post(session, row, postings, locked, points_expiry=policy, time_zone=time_zone, memo=memo)
        after = prepared.after
    else:
        after = post_transaction(session, row, postings, locked, points_expiry=policy, time_zone=time_zone, memo=memo)
    # Levels that move (L2): the card's level rules, applied at once in this transaction.
    upgraded = upgrade_after(ctx, session, row, after.points, operator_id=operator_id, request_id=request_id)
    items = [
        *receipt_items,
        *([ReceiptItem(f"Level upgraded to {upgraded}")] if upgraded else []),
        *card_footer(principal_fen=after.principal_fen, bonus_fen=after.bonus_fen, points=after.points,
                     card_number=card.card_number, business_date=row.business_date, transaction_id=row.transaction_id,
                     owed_fen=after.owed_fen, points_owed=after.points_owed),
    ]
    lines = render(receipt_title, items)
    transaction = transaction_message(row, ctx.region_code)
    transaction.overdrawn = overdrawn
    transaction.operator_id = operator_id
    transaction.request_id = request_id
    # The event names who did it and the call's key even when the online answer leaves them unset:
    # HQ's staff commission and sales per staff member read them (docs/adr/0043).
    published = common_pb2.Transaction()
    published.CopyFrom(transaction)
    published.operator_id = published.operator_id or str((row.details or {}).get("operator_id") or "")
    published.request_id = published.request_id or row.request_id or ""
    envelope = wrap(
        events_pb2.TransactionPosted(
            transaction=published,
            member_id=card.member_id or "",  # empty: a bearer card, which gets no notice
            issuing_franchisee_id=card.issuing_franchisee_id,
            issuing_store_id=card.issuing_store_id,
            acquiring_store_id=row.store_id,
            acquiring_franchisee_id=acquiring_franchisee_id,
            postings=[posting_message(posting) for posting in postings],
            tenders=list(tenders),
            coupons=list(coupons),
            points_earned=points_earned,
            points_redeemed=points_redeemed,
            subtotal_fen=subtotal_fen,
            discount_fen=discount_fen,
            points_deduction_fen=points_deduction_fen,
            company_id=company_id,
        ),
        producer=ctx.producer_name, aggregate_id=card.card_number,
    )
    outbox, document = outbox_row(envelope, topic=topics.POSTINGS, key=card.card_number), receipt_document(receipt_title, items)
    if prepared is not None:
        return Recorded(transaction, balances_message(after), receipt_lines(lines), PendingWrites(prepared, document, outbox))
    session.execute(_KEEP_RECEIPT_AND_EVENT, {**outbox, "receipt_transaction_id": row.transaction_id, "receipt_lines": document})
    return Recorded(transaction, balances_message(after), receipt_lines(lines))
