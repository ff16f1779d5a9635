"""The database function of the one-round-trip checkout (region migration 0029, docs/adr/0052),
called as region_service.one_trip calls it: its refusals write nothing and come back as results,
it locks in account order whatever order it is given (no deadlock under concurrency), and a
repeated request id is answered from the kept answer, posted once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import text

from chaincard.db.base import utc_now
from chaincard.db.idempotency import answer_row
from chaincard.db.outbox import outbox_row
from chaincard.events import topics
from chaincard.events.envelope import wrap
from chaincard.ids import new_id
from chaincard.ledger import Asset, SystemAccount, transfer
from chaincard.v1 import events_pb2, transactions_pb2
from region_service import one_trip
from region_service.ledger_store import card_balances, lock_card_accounts, prepare_post, system_account_id
from region_service.models import LedgerTransaction
from region_service.posting import PendingWrites
from tests.support.cards import funded_card
from tests.support.ledger import assert_ledger_consistent

PRINCIPAL, POINTS = Asset.STORED_VALUE_PRINCIPAL, Asset.POINTS


def _sale_values(region_context, card: str, principal: int, points: int = 0, *, request_id: str | None = None) -> dict[str, Any]:
    """The function's arguments for a sale of ``principal`` from ``card`` earning it ``points``,
    worked out on the card's balances of now (the lock taken to read them is released at once)."""
    request = transactions_pb2.CheckoutRequest(request_id=request_id or new_id(), store_id="S-E-001", card_number=card,
                                               lines=[transactions_pb2.BasketLine(sku="TEA-001", quantity=1,
                                                                                  unit_price_fen=principal)])
    with region_context.session_factory() as session:
        locked = lock_card_accounts(session, [card])
        ids = locked.ids(card)
        postings = [
            *transfer(PRINCIPAL, principal, debit=ids[PRINCIPAL],
                      credit=system_account_id(session, "F-HQ", SystemAccount.STORED_VALUE_REDEEMED, PRINCIPAL)),
            *transfer(POINTS, points, debit=system_account_id(session, "F-HQ", SystemAccount.POINTS_LIABILITY, POINTS),
                      credit=ids[POINTS]),
        ]
        row = LedgerTransaction(
            transaction_id=new_id(), request_id=request.request_id, type="SPEND", card_number=card, store_id="S-E-001",
            acquiring_franchisee_id="F-HQ", business_date=utc_now().date(), amount_fen=principal,
            principal_delta_fen=-principal, bonus_delta_fen=0, points_delta=points, principal_after_fen=0,
            bonus_after_fen=0, points_after=0, created_at=utc_now(), details={"operator_id": "op-1"},
        )
        prepared = prepare_post(session, row, postings, locked)
        session.commit()  # the system accounts it may have opened; releases the card's lock
    envelope = wrap(events_pb2.TransactionPosted(), producer="test", aggregate_id=card)
    pending = PendingWrites(prepared, b"receipt", outbox_row(envelope, topic=topics.POSTINGS, key=card))
    answer = transactions_pb2.CheckoutResponse(total_due_fen=principal)
    return one_trip.parameters(pending, answer_row("Checkout", request, answer))


def _call(region_context, values: dict[str, Any]) -> one_trip.Outcome:
    with region_context.session_factory.begin() as session:
        return one_trip.call(session, values)


def _written(region_context, values: dict[str, Any]) -> tuple[int, int, int, int]:
    """Rows of the sale: its transaction, receipt, outbox event and kept answer."""
    with region_context.session_factory() as session:
        return tuple(session.execute(text(sql), {"key": key}).scalar_one() for sql, key in (  # type: ignore[return-value]
            ("SELECT COUNT(*) FROM ledger_transactions WHERE request_id = :key", values["request_id"]),
            ("SELECT COUNT(*) FROM receipts WHERE transaction_id = :key", values["transaction_id"]),
            ("SELECT COUNT(*) FROM outbox WHERE event_id = :key", values["event_id"]),
            ("SELECT COUNT(*) FROM idempotency_keys WHERE request_id = :key", values["request_id"]),
        ))


def _principal(region_context, card: str) -> int:
    with region_context.session_factory() as session:
        return card_balances(session, card).principal_fen


def test_a_sale_is_written_whole_and_its_repeat_is_answered_from_the_kept_answer(regions, region_context):
    card = funded_card(regions.clients["E"], 5_000)
    values = _sale_values(region_context, card, 1_200, 12)  # its points lot is written too
    assert _call(region_context, values) == one_trip.Outcome(one_trip.POSTED, None)
    assert _written(region_context, values) == (1, 1, 1, 1)
    replay = _call(region_context, values)
    assert replay == one_trip.Outcome(one_trip.REPLAY, values["key_response"])
    assert _written(region_context, values) == (1, 1, 1, 1)
    assert _principal(region_context, card) == 3_800
    # The same request id for another request: refused, nothing written.
    other = _sale_values(region_context, card, 300, request_id=values["request_id"])
    assert _call(region_context, other).outcome == one_trip.KEY_REUSED
    assert _written(region_context, other)[1:3] == (0, 0)
    assert _principal(region_context, card) == 3_800
    assert_ledger_consistent(regions.database_urls["E"])


def test_refusals_are_results_and_write_nothing(regions, region_context):
    card = funded_card(regions.clients["E"], 1_000)
    too_much = _sale_values(region_context, card, 500)
    stale = _sale_values(region_context, card, 100)
    unknown = _sale_values(region_context, card, 100)
    unknown["moved_ids"] = [new_id() for _ in unknown["moved_ids"]]
    assert _call(region_context, _sale_values(region_context, card, 700)).outcome == one_trip.POSTED  # 300 left
    assert _call(region_context, too_much).outcome == "INSUFFICIENT"
    assert _call(region_context, stale).outcome == "STALE"  # priced on 1,000: 900 expected, 200 would be left
    assert _call(region_context, unknown).outcome == "UNKNOWN_ACCOUNT"
    for refused in (too_much, stale, unknown):
        assert _written(region_context, refused) == (0, 0, 0, 0)
    assert _principal(region_context, card) == 300
    assert_ledger_consistent(regions.database_urls["E"])


def test_concurrent_sales_in_either_account_order_neither_deadlock_nor_overdraw(regions, region_context):
    """16 sales of 100 fen, each earning 10 points, race on a card holding 1,000 fen: half list its
    two accounts in reverse order. The function locks in account order, so none deadlocks; exactly
    as many as the card covers are posted, the rest refused as INSUFFICIENT."""
    card = funded_card(regions.clients["E"], 1_000)
    with region_context.session_factory() as session:
        points_before = card_balances(session, card).points
    sales = []
    for index in range(16):
        values = _sale_values(region_context, card, 100, 10)
        assert len(values["moved_ids"]) == 2
        values["expected_balances"] = None  # priced without holding the lock: only the function's checks apply
        if index % 2:
            for name in ("moved_ids", "moved_balances", "moved_debits", "moved_credits"):
                values[name] = list(reversed(values[name]))
        sales.append(values)
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda values: _call(region_context, values).outcome, sales))
    assert outcomes.count(one_trip.POSTED) == 10 and outcomes.count("INSUFFICIENT") == 6, outcomes
    with region_context.session_factory() as session:
        after = card_balances(session, card)
        lots = session.execute(text("SELECT COALESCE(SUM(points_remaining), 0) FROM points_lots WHERE card_number = :card"),
                               {"card": card}).scalar_one()
    assert (after.principal_fen, after.points, lots) == (0, points_before + 100, points_before + 100)
    assert_ledger_consistent(regions.database_urls["E"])
