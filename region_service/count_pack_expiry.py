"""The nightly expiry of count-use packs (K1, docs/adr/0030): uses left in a pack past its
``expires_at`` leave the card.

A periodic job of the region (region_service.bootstrap, beside the points expiry) and a CLI
command (``chaincard region count-uses expire``). Per card, in that card's own database
transaction under its row lock: one COUNT_USES_EXPIRY ledger transaction moves each due pack's
uses from the card's ``COUNT_USES:<item>`` account back to the selling franchisee's
COUNT_USE_LIABILITY, and sets those packs' ``uses_left`` to 0 (the invariant packs = balance
holds). A pack it expired holds nothing any more, so a second run (or another replica's, which
waits on the lock) finds nothing to do; a crash loses at most the card in flight, rolled back whole.
Uses a later refund returns to an expired pack are expired by the next run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.ids import new_id
from chaincard.ledger import Posting, SystemAccount, count_uses_asset, transfer
from chaincard.receipts import ReceiptItem
from region_service import count_uses
from region_service.context import RegionContext
from region_service.ledger_store import system_account_id
from region_service.models import CountUsePack, LedgerTransaction
from region_service.posting import record_transaction
from region_service.repository import load_card, lock_card_accounts

log = logging.getLogger(__name__)

BATCH_SIZE = 200
TRANSACTION_TYPE = count_uses.EXPIRY


@dataclass(frozen=True)
class PackExpiryRun:
    cards: int
    uses: int


def _due(now: datetime) -> ColumnElement[bool]:
    return (CountUsePack.uses_left > 0) & (CountUsePack.expires_at <= now)


def cards_with_packs_due(session: Session, now: datetime, *, after: str = "", limit: int = BATCH_SIZE) -> list[str]:
    """Cards (in number order, after ``after``) holding packs with uses left past their expiry."""
    return list(session.execute(
        select(CountUsePack.card_number).where(_due(now), CountUsePack.card_number > after)
        .group_by(CountUsePack.card_number).order_by(CountUsePack.card_number).limit(limit)
    ).scalars())


def expire_card_packs(ctx: RegionContext, card_number: str, now: datetime) -> int:
    """Expire one card's due packs in one transaction; returns the uses expired (0: none due)."""
    with ctx.session_factory.begin() as session:
        card = load_card(session, card_number, for_update=True)
        locked = lock_card_accounts(session, [card_number])
        packs = session.execute(
            select(CountUsePack).where(_due(now), CountUsePack.card_number == card_number)
            .order_by(CountUsePack.item_code, CountUsePack.pack_id).with_for_update()
        ).scalars().all()
        if not packs:
            return 0
        postings: list[Posting] = []
        expired: dict[str, int] = {}
        for pack in packs:
            asset = count_uses_asset(pack.item_code)
            liability = system_account_id(session, pack.franchisee_id, SystemAccount.COUNT_USE_LIABILITY, asset)
            postings += transfer(asset, pack.uses_left, debit=locked.of_card(card_number)[asset].account_id, credit=liability)
            expired[pack.item_code] = expired.get(pack.item_code, 0) + pack.uses_left
        details = {count_uses.DETAILS_USES: {item: -uses for item, uses in expired.items()},
                   count_uses.DETAILS_PACKS: [[pack.pack_id, pack.uses_left] for pack in packs]}
        for pack in packs:
            pack.uses_left = 0
        row = LedgerTransaction(
            # The lock and uses_left are the guard; the id only has to be unique (a pack a refund
            # refilled may expire again).
            transaction_id=new_id(), request_id=f"count-uses-expiry:{new_id()}", type=TRANSACTION_TYPE,
            card_number=card_number, store_id=card.issuing_store_id, acquiring_franchisee_id=card.issuing_franchisee_id,
            business_date=ctx.store_business_day("", now), amount_fen=0, principal_delta_fen=0, bonus_delta_fen=0,
            points_delta=0, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=now, details=details,
        )
        record_transaction(
            ctx, session, row=row, postings=postings, card=card, acquiring_franchisee_id=card.issuing_franchisee_id,
            receipt_title="COUNT USES EXPIRED",
            receipt_items=[ReceiptItem(f"Uses expired {item}"[:20], str(uses)) for item, uses in sorted(expired.items())],
            locked=locked,
        )
        return sum(expired.values())


def expire_due_packs(ctx: RegionContext, *, now: datetime | None = None) -> PackExpiryRun:
    """Expire every due pack of the region, card by card."""
    now = now or utc_now()
    cards = uses = 0
    last = ""
    while True:
        with ctx.session_factory() as session:
            due = cards_with_packs_due(session, now, after=last)
        for card_number in due:
            expired = expire_card_packs(ctx, card_number, now)
            cards, uses = cards + bool(expired), uses + expired
        if len(due) < BATCH_SIZE:
            if cards:
                log.info("count-use packs expired", extra={"fields": {"cards": cards, "uses": uses}})
            return PackExpiryRun(cards, uses)
        last = due[-1]
