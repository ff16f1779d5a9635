"""A card's points lots (P3, docs/adr/0022), kept beside its POINTS postings, in one place.

Every ledger transaction is posted by region_service.ledger_store.post_transaction; it calls
:func:`follow_postings` with the transaction's postings, so whatever moves points on a card —
checkout, recharge bonus, AdjustPoints, refunds and voids, advices, RedeemPoints, a balance transfer,
a card closure, the expiry job — moves its lots too, written once:

- the POINTS debits of a card consume its lots oldest expiry first (a refund's or void's claw-back
  first from the lots its own sale created: ``original_transaction_id``);
- the POINTS credits of a card create a lot expiring by the chain's policy, except points moved from
  another card in the same transaction (a replacement's balance transfer), which keep the dates they
  had.

Only the card's own POINTS account counts: points that pay what the card owes go to its receivable
account (issue 21), never to a lot. So a card's lots always hold exactly its POINTS balance; the
card's account locks, held by every posting, serialise the writes to its lots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import func
from sqlalchemy.sql.expression import cast

from chaincard.db.base import UtcTimestamp, table_of
from chaincard.ids import new_id
from chaincard.ledger import Asset, Direction, Posting
from chaincard.points.lots import ExpiryPolicy, Lot, Taken, consume, lot_expiry
from chaincard.v1 import program_config_pb2
from region_service.models import LedgerTransaction, PointsLot
from region_service.repository import CARD_PURPOSE, LockedAccounts

_lots = table_of(PointsLot)

_OPEN_LOTS = (
    select(_lots.c.lot_id, _lots.c.points_remaining, _lots.c.expires_at, _lots.c.earned_at, _lots.c.source_transaction_id)
    .where(_lots.c.card_number == bindparam("lots_card"), _lots.c.points_remaining > 0)
)
_TAKE = (
    update(_lots)
    .where(_lots.c.lot_id == bindparam("taken_lot"))
    .values(points_remaining=_lots.c.points_remaining - bindparam("taken_points", type_=BigInteger))
)


def _unnest_lots() -> Any:
    """``unnest(...)`` of new lots bound as one array per column: the posting statement inserts them
    (region_service.ledger_store), so creating lots costs no round trip of its own."""
    columns: dict[str, Any] = {"lot_ids": String, "lot_cards": String, "lot_earned": UtcTimestamp, "lot_expires": UtcTimestamp,
               "lot_points": BigInteger, "lot_sources": String}
    arrays: list[Any] = [cast(bindparam(name), ARRAY(kind)) for name, kind in columns.items()]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name="new_lot")


def insert_lots_statement() -> Any:
    """INSERT of the new lots bound by :func:`new_lot_parameters` (none: inserts nothing)."""
    from sqlalchemy import insert

    rows = _unnest_lots()
    return insert(_lots).from_select(
        ["lot_id", "card_number", "earned_at", "expires_at", "points_earned", "points_remaining", "source_transaction_id"],
        select(rows.c.lot_ids, rows.c.lot_cards, rows.c.lot_earned, rows.c.lot_expires, rows.c.lot_points, rows.c.lot_points,
               rows.c.lot_sources),
    )


def expiry_policy(policy: program_config_pb2.PointsExpiryPolicy) -> ExpiryPolicy:
    return ExpiryPolicy(rule=policy.rule, days=policy.days, reminder_days_before_expiry=policy.reminder_days_before_expiry)


def _points_moved(postings: Iterable[Posting], locked: LockedAccounts) -> dict[str, list[int]]:
    """[debited, credited] points per card, on the cards' own POINTS accounts only."""
    moved: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for posting in postings:
        if posting.asset != Asset.POINTS:
            continue
        account = locked.by_id.get(posting.account_id)
        if account is None or account.purpose != CARD_PURPOSE:
            continue  # a system account or a receivable: no lots
        moved[account.card_number][0 if posting.direction is Direction.DEBIT else 1] += posting.amount
    return moved


def consume_lots(session: Session, card_number: str, points: int, *, first_from: str | None) -> tuple[list[Taken], int]:
    """Take up to ``points`` from the card's open lots; answers what was taken, and the part its lots
    could not cover (which the same transaction's own credit to the card must: see follow_postings)."""
    lots = [Lot(lot_id, remaining, expires_at, earned_at, source)
            for lot_id, remaining, expires_at, earned_at, source in session.execute(_OPEN_LOTS, {"lots_card": card_number})]
    covered = min(points, sum(lot.remaining for lot in lots))
    taken = consume(lots, covered, first_from=first_from)
    if taken:
        session.execute(_TAKE, [{"taken_lot": part.lot_id, "taken_points": part.points} for part in taken])
    return taken, points - covered


def follow_postings(session: Session, *, transaction: LedgerTransaction, postings: list[Posting], locked: LockedAccounts,
                    policy: ExpiryPolicy, time_zone: str) -> dict[str, list[Any]]:
    """Consume the lots the transaction's POINTS debits take, and answer the lots its credits create
    as the array parameters of :func:`insert_lots_statement` (the caller inserts them with its
    posting statement). The caller holds the cards' account locks."""
    moved = _points_moved(postings, locked)
    new: list[tuple[str, str, datetime, datetime | None, int, str]] = []
    carried: dict[str, list[Taken]] = {}
    for card_number, (debited, credited) in sorted(moved.items()):
        if debited:
            carried[card_number], short = consume_lots(session, card_number, debited, first_from=transaction.original_transaction_id)
            # A transaction that both takes and gives points (a refund returning the points a sale
            # redeemed while clawing back those it earned) may take more than the lots held before
            # it: the rest nets against what it gives the same card.
            if short > credited:
                raise RuntimeError(f"card {card_number}: its lots hold {debited - short} points, fewer than the "
                                   f"{debited - credited} taken (its lots no longer match its points)")
            moved[card_number][1] = credited - short
    earned_at = transaction.created_at
    for card_number, (_, credited) in sorted(moved.items()):
        # Points another card gave up in this transaction keep their dates (a replacement's transfer).
        for other, pieces in carried.items():
            while credited and other != card_number and pieces:
                piece = pieces[0]
                part = min(credited, piece.points)
                new.append((new_id(), card_number, piece.earned_at, piece.expires_at, part, transaction.transaction_id))
                credited -= part
                if part == piece.points:
                    pieces.pop(0)
                else:
                    pieces[0] = Taken(piece.lot_id, piece.points - part, piece.expires_at, piece.earned_at)
        if credited:
            new.append((new_id(), card_number, earned_at, lot_expiry(policy, earned_at, time_zone), credited,
                        transaction.transaction_id))
    return new_lot_parameters(new)


def new_lot_parameters(lots: list[tuple[str, str, datetime, datetime | None, int, str]]) -> dict[str, list[Any]]:
    names = ("lot_ids", "lot_cards", "lot_earned", "lot_expires", "lot_points", "lot_sources")
    return {name: [lot[index] for lot in lots] for index, name in enumerate(names)}


def open_points(session: Session, card_number: str) -> int:
    """What the card's lots hold (equal to its POINTS balance)."""
    return int(session.execute(
        select(func.coalesce(func.sum(_lots.c.points_remaining), 0)).where(_lots.c.card_number == card_number)
    ).scalar_one())
