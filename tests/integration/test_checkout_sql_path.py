"""The checkout path written with SQLAlchemy Core (docs/BENCHMARKS.md, Checkout): what it sends to
PostgreSQL per checkout, and the guarantees the ORM used to give that it must keep — the
database's CHECK on card balances, every touched card account moved, no stale ORM copies."""

from __future__ import annotations

import grpc
import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import IntegrityError

from chaincard.db.base import utc_now
from chaincard.db.engine import make_engine
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.v1 import transactions_pb2
from region_service.handlers import payments
from region_service.ledger_store import (
    card_accounts,
    card_balances,
    lock_card_accounts,
    post_transaction,
    system_account_id,
)
from region_service.models import LedgerTransaction
from tests.support.cards import funded_card
from tests.support.ledger import assert_ledger_consistent


def _sale(card: str, price: int = 1_500) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(request_id=new_id(), store_id="S-E-001", card_number=card, lines=[
        transactions_pb2.BasketLine(sku="TEA-001", name="Longjing", category="tea", quantity=1, unit_price_fen=price)])


def _grant_row(card: str) -> LedgerTransaction:
    return LedgerTransaction(
        transaction_id=new_id(), request_id=new_id(), type="POINTS_ADJUSTMENT", card_number=card, store_id="S-E-001",
        acquiring_franchisee_id="F-HQ", business_date=utc_now().date(), amount_fen=0, principal_delta_fen=0,
        bonus_delta_fen=0, points_delta=0, principal_after_fen=0, bonus_after_fen=0, points_after=0, created_at=utc_now(),
    )


def test_a_checkout_sends_four_statements_in_one_transaction(regions, region_context):
    """The common sale (docs/adr/0052): the idempotency look-up, the card's row lock, the locking read
    of its accounts once the card is held (docs/reliability.md, finding 6), then one call of
    post_checkout writing the posting, receipt, event and remembered answer (five statements before)."""
    engine = region_context.session_factory.kw["bind"]  # the engine the handler's sessions use
    card = funded_card(regions.clients["E"], 100_000)
    for _ in range(2):  # the first creates the system accounts; the second finds them committed and caches their ids
        region_context.commands.run(payments.checkout, _sale(card))
    sent: list[str] = []
    calls: list[str] = []
    commits: list[int] = []
    listeners = [("before_cursor_execute", lambda conn, cursor, sql, *rest: (sent.append(sql.split()[0]), calls.append(sql))),
                 ("commit", lambda conn: commits.append(1))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        answer = region_context.commands.run(payments.checkout, _sale(card, 2_000))
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    # Idempotency check, the card locked, its accounts locked and read, then everything written in one round trip.
    assert sent == ["SELECT", "SELECT", "SELECT", "SELECT"], sent
    assert "post_checkout" in calls[-1]
    assert len(commits) == 1
    assert answer.total_due_fen == 2_000 and answer.balances_after.principal_fen == 100_000 - 2 * 1_500 - 2_000
    assert_ledger_consistent(regions.database_urls["E"])


def test_the_database_refuses_an_overdraft_even_past_pricing(regions, region_context):
    card = funded_card(regions.clients["E"], 1_000)
    row = _grant_row(card)
    with pytest.raises(IntegrityError, match="card_balance_not_negative"):
        with region_context.session_factory.begin() as session:
            locked = lock_card_accounts(session, [card])
            redeemed = system_account_id(session, "F-HQ", SystemAccount.STORED_VALUE_REDEEMED, Asset.STORED_VALUE_PRINCIPAL)
            postings = transfer(Asset.STORED_VALUE_PRINCIPAL, 1_001, debit=locked.ids(card)[Asset.STORED_VALUE_PRINCIPAL], credit=redeemed)
            post_transaction(session, row, postings, locked)
    with region_context.session_factory() as session:
        assert card_balances(session, card).principal_fen == 1_000
        assert session.execute(text("SELECT COUNT(*) FROM ledger_transactions WHERE request_id = :id"),
                               {"id": row.request_id}).scalar_one() == 0


def test_a_card_account_the_caller_did_not_lock_still_moves(regions, region_context):
    """Postings may reach a card account beyond those the caller locked: it is locked and moved too,
    never mistaken for a system account (which keeps no running balance)."""
    giver, taker = funded_card(regions.clients["E"], 5_000), funded_card(regions.clients["E"], 0)
    with region_context.session_factory.begin() as session:
        locked = lock_card_accounts(session, [giver])
        taker_principal = card_accounts(session, taker)[Asset.STORED_VALUE_PRINCIPAL].account_id
        postings = transfer(Asset.STORED_VALUE_PRINCIPAL, 1_200, debit=locked.ids(giver)[Asset.STORED_VALUE_PRINCIPAL], credit=taker_principal)
        after = post_transaction(session, _grant_row(giver), postings, locked)
    assert after.principal_fen == 3_800
    with region_context.session_factory() as session:
        assert (card_balances(session, giver).principal_fen, card_balances(session, taker).principal_fen) == (3_800, 1_200)
    assert_ledger_consistent(regions.database_urls["E"])


def test_orm_copies_loaded_before_a_posting_show_the_new_balance(regions, region_context):
    card = funded_card(regions.clients["E"], 7_000)
    with region_context.session_factory.begin() as session:
        loaded = card_accounts(session, card)[Asset.STORED_VALUE_PRINCIPAL]
        assert loaded.balance == 7_000
        redeemed = system_account_id(session, "F-HQ", SystemAccount.STORED_VALUE_REDEEMED, Asset.STORED_VALUE_PRINCIPAL)
        post_transaction(session, _grant_row(card), transfer(Asset.STORED_VALUE_PRINCIPAL, 500, debit=loaded.account_id, credit=redeemed))
        assert loaded.balance == 6_500
        assert card_accounts(session, card)[Asset.STORED_VALUE_PRINCIPAL].balance == 6_500


def test_checkout_on_an_unknown_card_is_not_found_and_writes_nothing(regions):
    before = _count(regions, "ledger_transactions")
    with pytest.raises(grpc.RpcError) as refused:
        regions.clients["E"].transactions.Checkout(_sale("881199999999992"), timeout=10)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    assert _count(regions, "ledger_transactions") == before


def _count(regions, table: str) -> int:
    engine = make_engine(regions.database_urls["E"])
    try:
        with engine.connect() as connection:
            return connection.execute(select(text("COUNT(*)")).select_from(text(table))).scalar_one()
    finally:
        engine.dispose()
