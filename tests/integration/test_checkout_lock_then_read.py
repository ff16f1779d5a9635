"""A sale that waited for its card's lock prices on what the card holds once the lock is its own
(docs/reliability.md, finding 6, seed 16): a concurrent writer that opened the card's receivable
(the card now owes) committed while the sale waited, and the sale's answer and TransactionPosted
event — which the balance feed and HQ's views copy — must show what the ledger shows."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from chaincard.db.base import utc_now
from chaincard.events.envelope import unwrap
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount
from chaincard.v1 import events_pb2, transactions_pb2
from region_service import receivables
from region_service.handlers import payments
from region_service.ledger_store import card_balances, lock_card_accounts, post_transaction, system_account_id
from region_service.models import LedgerTransaction
from region_service.repository import lock_card_rows
from tests.support.cards import funded_card
from tests.support.ledger import assert_ledger_consistent

PRINCIPAL = Asset.STORED_VALUE_PRINCIPAL
OWED = 675


def _sale(card: str, price: int) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(request_id=new_id(), store_id="S-E-001", card_number=card, lines=[
        transactions_pb2.BasketLine(sku="TEA-001", name="Longjing", category="tea", quantity=1, unit_price_fen=price)])


def _owing_row(card: str) -> LedgerTransaction:
    """A transaction that leaves the card owing (as an overdrawn offline advice does)."""
    return LedgerTransaction(
        transaction_id=new_id(), request_id=new_id(), type="SPEND", card_number=card, store_id="S-E-001",
        acquiring_franchisee_id="F-HQ", business_date=utc_now().date(), amount_fen=OWED, principal_delta_fen=0,
        bonus_delta_fen=0, points_delta=0, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
    )


def _waiting_for_a_lock(session) -> bool:
    return bool(session.execute(text("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted)")).scalar_one())


def _event_balances(region_context, card: str, transaction_id: str) -> events_pb2.TransactionPosted:
    with region_context.session_factory() as session:
        for (envelope,) in session.execute(text("SELECT envelope FROM outbox WHERE message_key = :card"), {"card": card}):
            event = unwrap(events_pb2.EventEnvelope.FromString(bytes(envelope)))
            if isinstance(event, events_pb2.TransactionPosted) and event.transaction.transaction_id == transaction_id:
                return event
    raise AssertionError(f"no TransactionPosted for {transaction_id}")


def test_a_sale_that_waited_for_the_card_sees_the_receivable_opened_meanwhile(regions, region_context):
    card = funded_card(regions.clients["E"], 5_000)
    region_context.commands.run(payments.checkout, _sale(card, 100))  # system accounts opened and cached
    with region_context.session_factory() as holder, ThreadPoolExecutor(1) as pool:
        # The concurrent writer: holds the card's lock and opens its receivable (the card owes 675).
        lock_card_rows(holder, [card])
        locked = lock_card_accounts(holder, [card])
        credit = system_account_id(holder, "F-HQ", SystemAccount.STORED_VALUE_REDEEMED, PRINCIPAL)
        post_transaction(holder, _owing_row(card), receivables.owe(holder, locked, card, PRINCIPAL, OWED, credit=credit), locked)
        sale = pool.submit(region_context.commands.run, payments.checkout, _sale(card, 200))
        with region_context.session_factory() as watcher:
            deadline = time.monotonic() + 60  # a bound, not an assertion on time: the sale must be waiting first
            while not _waiting_for_a_lock(watcher) and time.monotonic() < deadline:
                watcher.rollback()
                time.sleep(0.05)
        holder.commit()
        answer = sale.result(timeout=120)
    with region_context.session_factory() as session:
        ledger = card_balances(session, card)
    assert ledger.owed_fen == OWED
    assert answer.balances_after.owed_fen == OWED
    assert answer.balances_after.principal_fen == ledger.principal_fen == 5_000 - 300
    published = _event_balances(region_context, card, answer.transaction.transaction_id).transaction.balances_after
    assert (published.principal_fen, published.owed_fen) == (ledger.principal_fen, ledger.owed_fen)
    assert_ledger_consistent(regions.database_urls["E"])
