"""QR member codes a store verified offline, at the card's home region (docs/adr/0026), over real gRPC
and PostgreSQL: the card sync gives each cached virtual card's own key; an advice carrying a code
records it used once (an online use after is refused); a code already used online is still posted
for the advice (a sale already made) and flagged as a replay; a malformed advised code is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import grpc
import pytest

from chaincard import member_codes
from chaincard.config import Settings
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2,
    common_pb2,
    program_config_pb2,
    program_config_pb2_grpc,
    store_sync_pb2,
    store_sync_pb2_grpc,
    transactions_pb2,
)
from tests.support.cards import assert_refused, funded_card, refusal
from tests.support.ledger import assert_ledger_consistent
from tests.support.sql import rows

STORE = "S-E-002"  # the store that stood in
ONLINE_STORE = "S-E-001"
PRICE_FEN = 1_000


@pytest.fixture(scope="module")
def sync(regions) -> Iterator[store_sync_pb2_grpc.StoreSyncServiceStub]:  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    endpoint = next(region.endpoint for region in snapshot.regions if region.code == "E")
    with open_channel(endpoint) as channel:
        yield store_sync_pb2_grpc.StoreSyncServiceStub(channel)


def _code(regions, card: str) -> str:  # type: ignore[no-untyped-def]
    return regions.clients["E"].cards.RotateQrToken(
        cards_pb2.RotateQrTokenRequest(request_id=new_id(), card_number=card), timeout=10).qr_token


def _line() -> transactions_pb2.BasketLine:
    return transactions_pb2.BasketLine(sku="TEA-1", name="tea", category="tea", quantity=1, unit_price_fen=PRICE_FEN)


def _advice(card: str, code: str) -> store_sync_pb2.OfflineAdvice:
    """What a store's stand-in queues for a ¥10 sale by a code it verified offline."""
    request_id = new_id()
    advice = store_sync_pb2.OfflineAdvice(
        advice_id=request_id, sequence=1, store_id=STORE, member_code=code,
        checkout=transactions_pb2.CheckoutRequest(request_id=request_id, store_id=STORE, card_number=card, lines=[_line()]),
        offline_result=transactions_pb2.CheckoutResponse(
            transaction=common_pb2.Transaction(transaction_id=new_id(), card_number=card, store_id=STORE, amount_fen=PRICE_FEN),
            subtotal_fen=PRICE_FEN, total_due_fen=PRICE_FEN, offline=True,
            tenders=[transactions_pb2.AppliedTender(type=common_pb2.TENDER_TYPE_STORED_VALUE, amount_fen=PRICE_FEN,
                                                    principal_fen=PRICE_FEN, card_number=card)],
            lines=[transactions_pb2.PricedLine(sku="TEA-1", quantity=1, gross_fen=PRICE_FEN, net_fen=PRICE_FEN)]))
    advice.approved_at.FromDatetime(datetime.now(UTC))
    advice.member_code_verified_at.FromDatetime(datetime.now(UTC))
    return advice


def _upload(sync, advice: store_sync_pb2.OfflineAdvice) -> store_sync_pb2.OfflineAdviceResult:  # type: ignore[no-untyped-def]
    [result] = sync.UploadOfflineAdvices(store_sync_pb2.UploadOfflineAdvicesRequest(
        request_id=new_id(), store_id=advice.store_id, advices=[advice]), timeout=20).results
    return result


def _online_sale(code: str) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(request_id=new_id(), store_id=ONLINE_STORE, card_number=code, lines=[_line()])


def _used(regions, card: str) -> list[tuple[str]]:  # type: ignore[no-untyped-def]
    return rows(regions.database_urls["E"], "SELECT request_id FROM used_member_codes WHERE card_number = :card", card=card)


def test_the_card_sync_gives_each_virtual_cards_own_key_never_the_secret(regions, sync):
    card = funded_card(regions.clients["E"], 0)
    [cached] = sync.RefreshCardCache(store_sync_pb2.RefreshCardCacheRequest(store_id=STORE, card_numbers=[card]), timeout=10).cards
    secret = Settings().member_code_key  # the test regions run with the default secret
    assert cached.member_code_key == member_codes.card_key(secret, card) and cached.member_code_key != secret.encode()
    assert cached.member_id == cached.card.member_id != ""


def test_an_advised_code_is_recorded_once_and_refused_online_after(regions, sync):
    card = funded_card(regions.clients["E"], 5_000)
    advice = _advice(card, _code(regions, card))

    posted = _upload(sync, advice)
    assert posted.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED and not posted.member_code_replayed
    assert _used(regions, card) == [(advice.advice_id,)]
    again = _upload(sync, advice)  # a store that never saw the answer sends it again
    assert again.outcome == store_sync_pb2.ADVICE_OUTCOME_DUPLICATE and not again.member_code_replayed
    assert again.transaction.transaction_id == posted.transaction.transaction_id and again.transaction.balances_after.principal_fen == 4_000

    assert_refused(regions.clients["E"].transactions.Checkout, _online_sale(advice.member_code),
                   grpc.StatusCode.FAILED_PRECONDITION, "member code already used")
    assert _used(regions, card) == [(advice.advice_id,)]
    assert_ledger_consistent(regions.database_urls["E"])


def test_a_code_used_online_first_is_posted_for_the_advice_and_flagged(regions, sync):
    card = funded_card(regions.clients["E"], 5_000)
    code = _code(regions, card)
    online = _online_sale(code)
    regions.clients["E"].transactions.Checkout(online, timeout=10)
    advice = _advice(card, code)  # the same code, shown at a store that could not reach us meanwhile

    posted = _upload(sync, advice)
    assert posted.outcome == store_sync_pb2.ADVICE_OUTCOME_POSTED  # a sale already made: posted all the same
    assert posted.member_code_replayed and posted.member_code_replay_of == online.request_id
    assert "flagged as a replay" in posted.message and posted.transaction.balances_after.principal_fen == 3_000
    [(details,)] = rows(regions.database_urls["E"], "SELECT details FROM ledger_transactions WHERE request_id = :id",
                        id=advice.advice_id)
    assert details["member_code"]["replay_of"] == online.request_id
    assert details["member_code"]["issued_at"] == member_codes.parse(code).issued_at
    again = _upload(sync, advice)
    assert again.outcome == store_sync_pb2.ADVICE_OUTCOME_DUPLICATE and again.member_code_replay_of == online.request_id
    assert _used(regions, card) == [(online.request_id,)]  # the first use stays the record
    assert_ledger_consistent(regions.database_urls["E"])


def test_an_advised_code_of_another_card_is_refused_naming_the_field(regions, sync):
    card, other = funded_card(regions.clients["E"], 5_000), funded_card(regions.clients["E"], 0)
    advice = _advice(card, _code(regions, other))
    refused = refusal(sync.UploadOfflineAdvices, store_sync_pb2.UploadOfflineAdvicesRequest(
        request_id=new_id(), store_id=STORE, advices=[advice]))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "advices[0].member_code" in (refused.details() or "")
    unverified = _advice(card, _code(regions, card))
    unverified.ClearField("member_code_verified_at")
    refused = refusal(sync.UploadOfflineAdvices, store_sync_pb2.UploadOfflineAdvicesRequest(
        request_id=new_id(), store_id=STORE, advices=[unverified]))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT and "advices[0].member_code_verified_at" in (refused.details() or "")
    assert _used(regions, card) == [] and _used(regions, other) == []
