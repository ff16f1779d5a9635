"""A company's bulk purchase and recharge by invoice (C6) over real gRPC, PostgreSQL and the broker:
HQ checks every line and records a job, its worker sends each home region its chunk, a region posts
its chunk all-or-nothing (new holders registered, cards opened, COMPANY_RECHARGE against the selling
franchisee's COMPANY_RECEIVABLE), a retry posts nothing twice, and a region rule refusing one line
fails that region's chunk with nothing written. The ledger stays balanced; HQ lists the company's cards.
A company's payment is split over the regions it owes, oldest lines first, and each region posts its
part once (COMPANY_PAYMENT, CompanyPaymentPosted)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import cards_pb2, common_pb2, companies_pb2, companies_pb2_grpc, transactions_pb2
from tests.support.cards import DEADLINE, open_card, random_phone
from tests.support.companies import company
from tests.support.ledger import assert_ledger_consistent
from tests.support.regions import RunningRegions
from tests.support.sql import execute, rows, scalar

# HQ's card view in this module must hold its own cards' events only (tests/integration/conftest.py).
OWN_BROKER = True

COMPANY = "CO-BULK"
OTHER = "CO-OTHER"
STORE = "S-E-002"  # F-AURORA's store in region E, the company's home region
RUNNING = companies_pb2.COMPANY_RECHARGE_STATE_RUNNING


@pytest.fixture(scope="module")
def regions_working_directory(tmp_path_factory):  # type: ignore[no-untyped-def]
    """A company admin logs in here: HQ's token signing key is made under the working directory."""
    return tmp_path_factory.mktemp("company-chain")


@pytest.fixture(scope="module")
def stub(regions: RunningRegions) -> Iterator[companies_pb2_grpc.CompanyServiceStub]:
    with open_channel(regions.hq_endpoint) as channel:
        companies = companies_pb2_grpc.CompanyServiceStub(channel)
        for identifier, serial in ((COMPANY, 101), (OTHER, 102)):
            companies.CreateCompany(companies_pb2.CreateCompanyRequest(
                request_id=new_id(), company=company(identifier, serial)), timeout=DEADLINE)
        yield companies


def _new(amount_fen: int) -> companies_pb2.CompanyOrderLine:
    return companies_pb2.CompanyOrderLine(holder_name="员工 张三", holder_phone=random_phone("136"), amount_fen=amount_fen)


def _card(number: str, amount_fen: int) -> companies_pb2.CompanyOrderLine:
    return companies_pb2.CompanyOrderLine(card_number=number, amount_fen=amount_fen)


def _order(lines: list[companies_pb2.CompanyOrderLine], *, request_id: str = "", company_id: str = COMPANY,
           store_id: str = STORE, card_type_code: str = "SV") -> companies_pb2.BulkRechargeRequest:
    return companies_pb2.BulkRechargeRequest(request_id=request_id or new_id(), company_id=company_id, store_id=store_id,
                                             card_type_code=card_type_code, lines=lines)


def _wait(stub: companies_pb2_grpc.CompanyServiceStub, job_id: str) -> companies_pb2.CompanyRechargeJob:
    deadline = time.monotonic() + 60
    while True:
        job = stub.GetBulkRecharge(companies_pb2.GetBulkRechargeRequest(job_id=job_id), timeout=DEADLINE).job
        # A failed job's other regions' chunks are still sent: wait for every line's outcome too.
        if (job.state != RUNNING and all(line.outcome for line in job.lines)) or time.monotonic() > deadline:
            return job
        time.sleep(0.3)


def _job_transactions(regions: RunningRegions, code: str, job_id: str) -> list[tuple[str, str, int, str]]:
    return [tuple(row) for row in rows(  # type: ignore[misc]
        regions.database_urls[code], "SELECT request_id, card_number, amount_fen, type FROM ledger_transactions "
        "WHERE request_id LIKE :key ORDER BY request_id", key=f"company:{job_id}:%")]


def _receivable(regions: RunningRegions, code: str) -> int:
    """F-AURORA's COMPANY_RECHARGE receivable in region ``code``: debits minus credits of its postings."""
    return int(scalar(regions.database_urls[code], (
        "SELECT COALESCE(SUM(CASE WHEN p.direction = 'DEBIT' THEN p.amount ELSE -p.amount END), 0) FROM postings p "
        "JOIN ledger_accounts a ON a.account_id = p.account_id "
        "WHERE a.purpose = 'COMPANY_RECEIVABLE' AND a.franchisee_id = 'F-AURORA'")))


def test_new_cards_and_recharges_in_two_regions_post_once_however_often_sent(regions, stub) -> None:  # type: ignore[no-untyped-def]
    east, west = open_card(regions.clients["E"]), open_card(regions.clients["W"], "S-W-001")
    receivable_before = {code: _receivable(regions, code) for code in ("E", "W")}
    cards_before = int(scalar(regions.database_urls["E"], "SELECT COUNT(*) FROM cards"))
    lines = [_new(10_000), _card(east, 5_000), _new(20_000), _card(west, 8_000), _new(30_000)]
    request = _order(lines)
    job = stub.BulkRecharge(request, timeout=DEADLINE).job
    assert (job.lines_total, job.amount_total_fen) == (5, 73_000)
    done = _wait(stub, job.job_id)
    assert done.state == companies_pb2.COMPANY_RECHARGE_STATE_COMPLETED, done.last_error
    assert (done.lines_posted, done.amount_posted_fen) == (5, 73_000)
    assert [line.region_code for line in done.lines] == ["E", "E", "E", "W", "E"]
    assert all(line.outcome == "POSTED" and line.transaction_id for line in done.lines)
    new_cards = [done.lines[index].card_number for index in (0, 2, 4)]
    assert all(number.startswith("88") for number in new_cards) and len(set(new_cards)) == 3
    assert (done.lines[1].card_number, done.lines[3].card_number) == (east, west)

    posted_east = _job_transactions(regions, "E", job.job_id)
    assert [(key.rsplit(":", 1)[1], amount, kind) for key, _, amount, kind in posted_east] == [
        ("0", 10_000, "COMPANY_RECHARGE"), ("1", 5_000, "COMPANY_RECHARGE"), ("2", 20_000, "COMPANY_RECHARGE"),
        ("4", 30_000, "COMPANY_RECHARGE")]
    assert [(card, amount) for _, card, amount, _ in _job_transactions(regions, "W", job.job_id)] == [(west, 8_000)]
    assert _receivable(regions, "E") - receivable_before["E"] == 65_000
    assert _receivable(regions, "W") - receivable_before["W"] == 8_000  # F-AURORA's store acquired W's card
    for number, amount in zip(new_cards, (10_000, 20_000, 30_000), strict=True):
        card = regions.clients["E"].cards.GetCard(cards_pb2.GetCardRequest(card_number=number), timeout=DEADLINE).card
        assert (card.balances.principal_fen, card.balances.bonus_fen, card.issuing_store_id) == (amount, 0, STORE)

    # The whole call again (same request id): the same job, nothing posted twice, no card opened twice.
    assert stub.BulkRecharge(request, timeout=DEADLINE).job.job_id == job.job_id
    # A chunk sent again after a crash, even under another request id, answers what was posted.
    east_lines = [companies_pb2.CompanyOrderChunkLine(line_index=index, line=line) for index, line in enumerate(lines)
                  if index != 3]
    for line in east_lines[:1]:  # the new holder's phone: HQ dropped it after posting; the region answers by key
        line.line.holder_phone = lines[0].holder_phone
    endpoint = str(scalar(regions.database_urls["hq"], "SELECT endpoint FROM regions WHERE code = 'E'"))
    with open_channel(endpoint) as channel:
        again = companies_pb2_grpc.CompanyOrderServiceStub(channel).PostCompanyOrder(companies_pb2.PostCompanyOrderRequest(
            request_id=new_id(), job_id=job.job_id, company_id=COMPANY, store_id=STORE, card_type_code="SV",
            lines=east_lines), timeout=DEADLINE)
    assert [line.card_number for line in again.lines] == [new_cards[0], east, new_cards[1], new_cards[2]]
    time.sleep(1.5)  # a second job or send, had one posted, would have by now
    assert _job_transactions(regions, "E", job.job_id) == posted_east
    assert int(scalar(regions.database_urls["E"], "SELECT COUNT(*) FROM cards")) == cards_before + 3
    assert int(scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM company_recharge_jobs WHERE request_id = :id",
                      id=request.request_id)) == 1
    with pytest.raises(grpc.RpcError) as refused:  # the same request id asking something else
        stub.BulkRecharge(_order(lines[:2], request_id=request.request_id), timeout=DEADLINE)
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    for code in ("E", "W"):
        assert_ledger_consistent(regions.database_urls[code])

    # HQ's read models: the company's five cards with their balances; the other company has none of them.
    wanted = {**dict(zip(new_cards, (10_000, 20_000, 30_000), strict=True)), east: 5_000, west: 8_000}
    deadline = time.monotonic() + 30
    while True:
        listed = stub.ListCompanyCards(companies_pb2.ListCompanyCardsRequest(company_id=COMPANY), timeout=DEADLINE)
        seen = {card.card_number: card.principal_fen for card in listed.cards}
        if seen == wanted or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert seen == wanted
    assert all(card.bought_fen == wanted[card.card_number] and card.HasField("last_transaction_at") for card in listed.cards)
    assert listed.company.company_id == COMPANY
    others = stub.ListCompanyCards(companies_pb2.ListCompanyCardsRequest(company_id=OTHER), timeout=DEADLINE).cards
    assert not set(wanted) & {card.card_number for card in others}

    # The paths that do not know the invoice tender yet refuse it, writing nothing.
    till = regions.clients["E"]
    with pytest.raises(grpc.RpcError) as voided:
        till.transactions.VoidRecharge(transactions_pb2.VoidRechargeRequest(
            request_id=new_id(), store_id=STORE, card_number=new_cards[0],
            original_transaction_id=done.lines[0].transaction_id), timeout=DEADLINE)
    assert voided.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "invoice" in voided.value.details()
    with pytest.raises(grpc.RpcError) as closed:
        till.cards.CloseCard(cards_pb2.CloseCardRequest(request_id=new_id(), store_id=STORE, card_number=new_cards[0],
                                                        reason="leaving the company"), timeout=DEADLINE)
    assert closed.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "invoice" in closed.value.details()
    with pytest.raises(grpc.RpcError) as at_till:  # an invoice is never a till's tender
        till.transactions.RechargeCard(transactions_pb2.RechargeCardRequest(
            request_id=new_id(), store_id=STORE, card_number=new_cards[0], amount_fen=100,
            tender=common_pb2.TENDER_TYPE_INVOICE), timeout=DEADLINE)
    assert at_till.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "tender" in at_till.value.details()
    assert _job_transactions(regions, "E", job.job_id) == posted_east


def test_a_line_a_region_refuses_fails_its_chunk_with_nothing_written(regions, stub) -> None:  # type: ignore[no-untyped-def]
    east, west = open_card(regions.clients["E"]), open_card(regions.clients["W"], "S-W-001")
    cards_before = int(scalar(regions.database_urls["E"], "SELECT COUNT(*) FROM cards"))
    members_before = int(scalar(regions.database_urls["E"], "SELECT COUNT(*) FROM members"))
    # ¥6,000 onto a named card is over the V9 balance cap (¥5,000): region E refuses its whole chunk.
    job = stub.BulkRecharge(_order([_new(10_000), _card(east, 600_000), _card(west, 1_000)]), timeout=DEADLINE).job
    done = _wait(stub, job.job_id)
    assert done.state == companies_pb2.COMPANY_RECHARGE_STATE_FAILED
    assert "lines[1]" in done.last_error and "V9 balance cap" in done.last_error, done.last_error
    assert [line.outcome for line in done.lines] == ["REFUSED", "REFUSED", "POSTED"]  # region W's chunk stands
    assert (done.lines_posted, done.amount_posted_fen) == (1, 1_000)
    assert _job_transactions(regions, "E", job.job_id) == []
    assert int(scalar(regions.database_urls["E"], "SELECT COUNT(*) FROM cards")) == cards_before
    assert int(scalar(regions.database_urls["E"], "SELECT COUNT(*) FROM members")) == members_before
    assert len(_job_transactions(regions, "W", job.job_id)) == 1
    assert_ledger_consistent(regions.database_urls["E"])


def test_bad_orders_are_refused_naming_the_field_with_nothing_recorded(regions, stub) -> None:  # type: ignore[no-untyped-def]
    east = open_card(regions.clients["E"])
    phone = random_phone("137")
    jobs = int(scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM company_recharge_jobs"))
    cases = [
        (_order([_card(east, 100), _card("12345", 100)]), grpc.StatusCode.INVALID_ARGUMENT, "lines[1].card_number"),
        (_order([_card(east, 100), _card(east, 200)]), grpc.StatusCode.INVALID_ARGUMENT, "lines[1].card_number"),
        (_order([companies_pb2.CompanyOrderLine(holder_name="李四", holder_phone="12", amount_fen=100)]),
         grpc.StatusCode.INVALID_ARGUMENT, "lines[0].holder_phone"),
        (_order([companies_pb2.CompanyOrderLine(holder_name="李四", holder_phone=phone, amount_fen=100),
                 companies_pb2.CompanyOrderLine(holder_name="王五", holder_phone=phone, amount_fen=100)]),
         grpc.StatusCode.INVALID_ARGUMENT, "lines[1].holder_phone"),
        (_order([_card(east, 100), _card(east[:-1] + str((int(east[-1]) + 1) % 10), 0)]),
         grpc.StatusCode.INVALID_ARGUMENT, "lines[1]."),
        (_order([_card(east, 100), companies_pb2.CompanyOrderLine(holder_name="李四", holder_phone=phone, amount_fen=0)]),
         grpc.StatusCode.INVALID_ARGUMENT, "lines[1].amount_fen"),
        (_order([]), grpc.StatusCode.INVALID_ARGUMENT, "lines"),
        (_order([_card(east, 100)], store_id="S-E-001"), grpc.StatusCode.INVALID_ARGUMENT, "store_id"),  # F-HQ's store
        (_order([_new(100)], card_type_code=""), grpc.StatusCode.INVALID_ARGUMENT, "card_type_code"),
        (_order([_card(east, 100)], company_id="CO-NOBODY"), grpc.StatusCode.NOT_FOUND, "CO-NOBODY"),
    ]
    for request, status, named in cases:
        with pytest.raises(grpc.RpcError) as refused:
            stub.BulkRecharge(request, timeout=DEADLINE)
        assert refused.value.code() == status and named in refused.value.details(), (named, refused.value.details())
    assert int(scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM company_recharge_jobs")) == jobs


PAYER = "CO-PAYER"


def _payment(amount_fen: int, *, request_id: str = "", company_id: str = PAYER) -> companies_pb2.RecordCompanyPaymentRequest:
    return companies_pb2.RecordCompanyPaymentRequest(request_id=request_id or new_id(), company_id=company_id,
                                                     amount_fen=amount_fen, reference="CMB 20261203-0001")


def _posted(stub: companies_pb2_grpc.CompanyServiceStub,
            request: companies_pb2.RecordCompanyPaymentRequest) -> companies_pb2.RecordCompanyPaymentResponse:
    """The payment once the worker has posted every part (the same request id answers it as it is now)."""
    deadline = time.monotonic() + 60
    while True:
        answer = stub.RecordCompanyPayment(request, timeout=DEADLINE)
        if answer.payment.posted or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def _payment_rows(regions: RunningRegions, code: str) -> list[tuple[str, int, str]]:
    return [tuple(row) for row in rows(  # type: ignore[misc]
        regions.database_urls[code], "SELECT request_id, amount_fen, card_number FROM ledger_transactions "
        "WHERE type = 'COMPANY_PAYMENT' AND details->>'company_id' = :company ORDER BY created_at", company=PAYER)]


def _owed(stub: companies_pb2_grpc.CompanyServiceStub) -> tuple[int, int, int]:
    answer = stub.GetCompany(companies_pb2.GetCompanyRequest(company_id=PAYER), timeout=DEADLINE)
    return answer.invoiced_fen, answer.paid_fen, answer.outstanding_fen


def test_a_payment_is_split_over_the_regions_oldest_lines_first_and_posted_once(regions, stub, capsys) -> None:  # type: ignore[no-untyped-def]
    stub.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=company(PAYER, 103)), timeout=DEADLINE)
    east, west, later = open_card(regions.clients["E"]), open_card(regions.clients["W"], "S-W-001"), open_card(regions.clients["E"])
    for lines in ([_card(east, 10_000), _card(west, 8_000)], [_card(later, 5_000)]):  # two invoices, oldest first
        job = _wait(stub, stub.BulkRecharge(_order(lines, company_id=PAYER), timeout=DEADLINE).job.job_id)
        assert job.state == companies_pb2.COMPANY_RECHARGE_STATE_COMPLETED, job.last_error
    assert _owed(stub) == (23_000, 0, 23_000)
    receivable_before = {code: _receivable(regions, code) for code in ("E", "W")}

    # Refusals name the field and record nothing.
    for request, status, named in ((_payment(23_001), grpc.StatusCode.INVALID_ARGUMENT, "amount_fen"),
                                   (_payment(0), grpc.StatusCode.INVALID_ARGUMENT, "amount_fen"),
                                   (_payment(100, company_id="CO-NOBODY"), grpc.StatusCode.NOT_FOUND, "CO-NOBODY")):
        with pytest.raises(grpc.RpcError) as refused:
            stub.RecordCompanyPayment(request, timeout=DEADLINE)
        assert refused.value.code() == status and named in refused.value.details(), refused.value.details()
    assert int(scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM company_payments WHERE company_id = :c",
                      c=PAYER)) == 0

    # 120.00 pays the oldest lines: E's 100.00, then 20.00 of W's 80.00.
    first = _payment(12_000)
    paid = _posted(stub, first)
    assert [(part.region_code, part.amount_fen) for part in paid.payment.parts] == [("E", 10_000), ("W", 2_000)]
    assert all(part.transaction_id for part in paid.payment.parts) and paid.outstanding_fen == 11_000
    key = f"company-payment:{paid.payment.payment_id}"
    assert _payment_rows(regions, "E") == [(key, 10_000, "")] and _payment_rows(regions, "W") == [(key, 2_000, "")]
    # Sent again: the same payment; to the region under another request id: the same posting.
    assert stub.RecordCompanyPayment(first, timeout=DEADLINE).payment == paid.payment
    endpoint = str(scalar(regions.database_urls["hq"], "SELECT endpoint FROM regions WHERE code = 'E'"))
    with open_channel(endpoint) as channel:
        again = companies_pb2_grpc.CompanyOrderServiceStub(channel).PostCompanyPayment(companies_pb2.PostCompanyPaymentRequest(
            request_id=new_id(), payment_id=paid.payment.payment_id, company_id=PAYER, franchisee_id="F-AURORA",
            amount_fen=10_000), timeout=DEADLINE)
    assert again.transaction_id == paid.payment.parts[0].transaction_id
    with pytest.raises(grpc.RpcError) as other:  # the same request id asking another amount
        stub.RecordCompanyPayment(_payment(100, request_id=first.request_id), timeout=DEADLINE)
    assert other.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert len(_payment_rows(regions, "E")) == len(_payment_rows(regions, "W")) == 1

    # The rest, through the CLI's own `company pay` and `company show`: W's 60.00 still owed on the
    # older invoice, then E's 50.00 of the later one.
    from hq_service import company_cli

    capsys.readouterr()
    company_cli._pay(stub, argparse.Namespace(company_id=PAYER, amount="110.00", reference="CMB 20261203-0002",
                                              request_id=None, wait=60.0))
    company_cli._show(stub, argparse.Namespace(company_id=PAYER))
    printed = capsys.readouterr().out
    assert "of ¥110.00 from CO-PAYER: POSTED; outstanding ¥0.00" in printed, printed
    assert "region E: ¥50.00" in printed and "region W: ¥60.00" in printed, printed
    assert "invoiced ¥230.00, paid ¥230.00, outstanding ¥0.00" in printed, printed
    assert _owed(stub) == (23_000, 23_000, 0)
    with pytest.raises(grpc.RpcError) as over:
        stub.RecordCompanyPayment(_payment(1), timeout=DEADLINE)
    assert over.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "amount_fen" in over.value.details()

    # Each region's receivable went down by what it was paid, cash up alike; the ledgers balance; the
    # event of each part is on its way to settlement, keyed by the company, not a card.
    assert {code: receivable_before[code] - _receivable(regions, code) for code in ("E", "W")} == {"E": 15_000, "W": 8_000}
    for code, parts in (("E", 2), ("W", 2)):
        assert_ledger_consistent(regions.database_urls[code])
        assert int(scalar(regions.database_urls[code], "SELECT COUNT(*) FROM outbox WHERE message_key = :key "
                          "AND event_type = 'chaincard.v1.CompanyPaymentPosted'", key=f"company:{PAYER}")) == parts


USER = "CO-USER"


def test_the_company_sees_each_cards_usage_where_it_was_spent_page_by_page(regions, stub) -> None:  # type: ignore[no-untyped-def]
    from tests.support.points import refund_all, sale

    stub.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=company(USER, 104)), timeout=DEADLINE)
    job = _wait(stub, stub.BulkRecharge(_order([_new(10_000), _new(10_000), _new(10_000)], company_id=USER),
                                        timeout=DEADLINE).job.job_id)
    assert job.state == companies_pb2.COMPANY_RECHARGE_STATE_COMPLETED, job.last_error
    used, *unused = sorted(line.card_number for line in job.lines)

    # Spent at F-HQ's store in E (one sale refunded) and at F-BAMBOO's in W (forwarded to E, the card's home).
    east, west = regions.clients["E"].transactions, regions.clients["W"].transactions
    first = east.Checkout(sale(used, 3_000), timeout=DEADLINE).transaction
    refunded = east.Checkout(sale(used, 1_000), timeout=DEADLINE)
    back = east.RefundSale(refund_all(refunded), timeout=DEADLINE).transaction
    away = west.Checkout(sale(used, 2_000, store_id="S-W-002"), timeout=DEADLINE).transaction

    def taken(transaction: common_pb2.Transaction) -> int:
        return -(transaction.principal_delta_fen + transaction.bonus_delta_fen)

    at_hq = taken(first) + taken(refunded.transaction) + taken(back)  # the refund gives its value back
    assert taken(first) > 0 and taken(away) > 0 and -taken(back) == taken(refunded.transaction) > 0
    wanted_spent_at = sorted([("F-BAMBOO", taken(away), 1), ("F-HQ", at_hq, 2)])

    deadline = time.monotonic() + 30
    while True:  # HQ's read models follow the events
        pages = [stub.ListCompanyCards(companies_pb2.ListCompanyCardsRequest(company_id=USER, page_size=2), timeout=DEADLINE)]
        pages.append(stub.ListCompanyCards(companies_pb2.ListCompanyCardsRequest(
            company_id=USER, page_size=2, page_token=pages[0].next_page_token), timeout=DEADLINE))
        cards = {card.card_number: card for page in pages for card in page.cards}
        card = cards.get(used)
        if (card is not None and card.spend_count == 3 and card.principal_fen + card.bonus_fen == 10_000 - at_hq - taken(away)) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert [len(page.cards) for page in pages] == [2, 1] and pages[0].next_page_token and not pages[1].next_page_token
    assert list(cards) == sorted(cards) == sorted([used, *unused])
    assert card is not None and card.spend_count == 3, card
    assert card.spent_fen == at_hq + taken(away) and card.bought_fen == 10_000
    assert sorted((spend.franchisee_id, spend.spent_fen, spend.spend_count) for spend in card.spent_at) == wanted_spent_at
    assert card.HasField("last_spent_at") and card.last_spent_at.ToDatetime() >= first.occurred_at.ToDatetime()
    for number in unused:  # bought, never used
        assert (cards[number].spent_fen, cards[number].spend_count, cards[number].HasField("last_spent_at")) == (0, 0, False)
        assert not cards[number].spent_at and cards[number].principal_fen == 10_000

    # A bad page size or token is refused naming it.
    for request, named in ((companies_pb2.ListCompanyCardsRequest(company_id=USER, page_size=501), "page_size"),
                           (companies_pb2.ListCompanyCardsRequest(company_id=USER, page_size=-1), "page_size"),
                           (companies_pb2.ListCompanyCardsRequest(company_id=USER, page_token="not a token"), "page_token")):
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListCompanyCards(request, timeout=DEADLINE)
        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and named in refused.value.details()


CREDITED = "CO-CREDIT"


def test_a_credit_note_voids_a_line_back_to_the_receivable_never_cash_and_only_while_unpaid_and_unspent(regions, stub, capsys) -> None:  # type: ignore[no-untyped-def]
    from tests.support.points import sale

    stub.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=company(CREDITED, 105)), timeout=DEADLINE)
    east = open_card(regions.clients["E"])
    job = _wait(stub, stub.BulkRecharge(_order([_new(10_000), _card(east, 5_000), _new(7_000)], company_id=CREDITED),
                                        timeout=DEADLINE).job.job_id)
    assert job.state == companies_pb2.COMPANY_RECHARGE_STATE_COMPLETED, job.last_error
    spent_card = job.lines[2].card_number

    def owed() -> tuple[int, int, int]:
        answer = stub.GetCompany(companies_pb2.GetCompanyRequest(company_id=CREDITED), timeout=DEADLINE)
        return answer.invoiced_fen, answer.paid_fen, answer.outstanding_fen

    def credit(line_index: int, request_id: str = "") -> companies_pb2.CreditCompanyLineRequest:
        return companies_pb2.CreditCompanyLineRequest(request_id=request_id or new_id(), job_id=job.job_id,
                                                      line_index=line_index, reason="employee left before using it")

    def notes() -> int:
        return int(scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM company_credit_notes WHERE company_id = :c",
                          c=CREDITED))

    def principal(number: str) -> int:
        return regions.clients["E"].cards.GetCard(cards_pb2.GetCardRequest(card_number=number),
                                                  timeout=DEADLINE).card.balances.principal_fen

    assert owed() == (22_000, 0, 22_000)
    # Refused, naming why, with nothing written: a spent line, a paid line, a line that is not there.
    regions.clients["E"].transactions.Checkout(sale(spent_card, 1_000), timeout=DEADLINE)
    assert _posted(stub, _payment(10_000, company_id=CREDITED)).payment.posted  # covers line 0
    receivable, cash_out = _receivable(regions, "E"), _void_rows(regions)
    for line_index, status, named in ((2, grpc.StatusCode.FAILED_PRECONDITION, "spent"),
                                      (0, grpc.StatusCode.FAILED_PRECONDITION, "payments already cover"),
                                      (9, grpc.StatusCode.INVALID_ARGUMENT, "line_index")):
        with pytest.raises(grpc.RpcError) as refused:
            stub.CreditCompanyLine(credit(line_index), timeout=DEADLINE)
        assert refused.value.code() == status and named in refused.value.details(), refused.value.details()
    assert notes() == 0 and owed() == (22_000, 10_000, 12_000) and _void_rows(regions) == cash_out

    # The card also holds 10.00 of cash: it cannot be closed (paid out at the till) while it holds
    # the company's principal; once that is credited back, it can.
    from tests.support.cards import recharge_card

    till = regions.clients["E"]
    recharge_card(till.transactions, east, 1_000, store_id=STORE)

    def close() -> cards_pb2.CloseCardResponse:
        return till.cards.CloseCard(cards_pb2.CloseCardRequest(request_id=new_id(), store_id=STORE, card_number=east,
                                                               reason="leaving the company"), timeout=DEADLINE)

    with pytest.raises(grpc.RpcError) as not_yet:
        close()
    assert not_yet.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "credit note" in not_yet.value.details()

    # Line 1 credited: the card gives back its 50.00, the seller's receivable (not its cash) goes down by it.
    before = principal(east)
    request = credit(1)
    answer = stub.CreditCompanyLine(request, timeout=DEADLINE)
    assert (answer.card_number, answer.amount_fen, answer.outstanding_fen) == (east, 5_000, 7_000)
    assert owed() == (17_000, 10_000, 7_000)
    assert principal(east) == before - 5_000
    assert receivable - _receivable(regions, "E") == 5_000
    voids = _void_rows(regions)
    credit_id = scalar(regions.database_urls["hq"], "SELECT credit_id FROM company_credit_notes WHERE request_id = :r",
                       r=request.request_id)
    assert voids == [*cash_out, (f"company-credit:{credit_id}", east, 5_000, job.lines[1].transaction_id)]
    assert_ledger_consistent(regions.database_urls["E"])
    cash = int(scalar(regions.database_urls["E"], (
        "SELECT COUNT(*) FROM postings p JOIN ledger_accounts a ON a.account_id = p.account_id "
        "WHERE p.transaction_id = :id AND a.purpose = 'CASH_COLLECTED'"), id=answer.transaction_id))
    assert cash == 0  # an invoice is reduced, no cash leaves any till
    assert principal(east) == 1_000
    closed = close()  # only its own cash principal is paid out
    assert (closed.card.state, closed.principal_refunded_fen) == (common_pb2.CARD_STATE_CLOSED, 1_000), closed

    # Once: the same request answers the same credit; another request for the line is refused;
    # the same request id asking another line is ALREADY_EXISTS.
    assert stub.CreditCompanyLine(request, timeout=DEADLINE).transaction_id == answer.transaction_id
    with pytest.raises(grpc.RpcError) as twice:
        stub.CreditCompanyLine(credit(1), timeout=DEADLINE)
    assert twice.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "already credited" in twice.value.details()
    with pytest.raises(grpc.RpcError) as other:
        stub.CreditCompanyLine(credit(2, request_id=request.request_id), timeout=DEADLINE)
    assert other.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert _void_rows(regions) == voids and notes() == 1
    from hq_service import company_cli  # the CLI's `company credit`, run again: the same credit

    capsys.readouterr()
    company_cli._credit(stub, argparse.Namespace(job_id=job.job_id, line_index=1, reason="employee left before using it",
                                                 request_id=request.request_id))
    assert f"card {east} ¥50.00 off the invoice (transaction {answer.transaction_id}); outstanding ¥70.00" \
        in capsys.readouterr().out

    # The rest is payable to the fen (the credited line is no longer on the invoice) and no more.
    rest = stub.RecordCompanyPayment(_payment(7_000, company_id=CREDITED), timeout=DEADLINE)
    assert rest.outstanding_fen == 0 and [(part.region_code, part.amount_fen) for part in rest.payment.parts] == [("E", 7_000)]
    cards = {card.card_number: card.bought_fen for card in stub.ListCompanyCards(
        companies_pb2.ListCompanyCardsRequest(company_id=CREDITED), timeout=DEADLINE).cards}
    assert cards.get(east, 0) == 0  # the credit note took the line off what the company bought


def _void_rows(regions: RunningRegions) -> list[tuple[str, str, int, str]]:
    return [tuple(row) for row in rows(  # type: ignore[misc]
        regions.database_urls["E"], "SELECT request_id, card_number, amount_fen, original_transaction_id "
        "FROM ledger_transactions WHERE type = 'VOID' AND details->>'company_id' = :company ORDER BY created_at",
        company=CREDITED)]


PARTIAL = "CO-PARTIAL"


def test_partial_credit_notes_take_only_the_unpaid_part_of_a_line_to_the_fen_each_posted_once(regions, stub) -> None:  # type: ignore[no-untyped-def]
    """Two partial credits on one line, a third over what is left refused with nothing written, the
    rest credited by an empty amount; a credit sent to the region again posts once. Each VOID posts
    exactly its amount: the card's principal and the seller's receivable move by it, the ledger balances."""
    from tests.support.points import sale

    stub.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=company(PARTIAL, 106)), timeout=DEADLINE)
    job = _wait(stub, stub.BulkRecharge(_order([_new(10_000), _new(6_000)], company_id=PARTIAL), timeout=DEADLINE).job.job_id)
    assert job.state == companies_pb2.COMPANY_RECHARGE_STATE_COMPLETED, job.last_error
    card = job.lines[0].card_number
    hq, east = regions.database_urls["hq"], regions.database_urls["E"]

    def owed() -> tuple[int, int, int]:
        answer = stub.GetCompany(companies_pb2.GetCompanyRequest(company_id=PARTIAL), timeout=DEADLINE)
        return answer.invoiced_fen, answer.paid_fen, answer.outstanding_fen

    def credit(amount_fen: int, request_id: str = "") -> companies_pb2.CreditCompanyLineRequest:
        return companies_pb2.CreditCompanyLineRequest(request_id=request_id or new_id(), job_id=job.job_id, line_index=0,
                                                      reason="part of the order cancelled", amount_fen=amount_fen)

    def principal() -> int:
        return regions.clients["E"].cards.GetCard(cards_pb2.GetCardRequest(card_number=card),
                                                  timeout=DEADLINE).card.balances.principal_fen

    def voids() -> list[tuple[str, int, int]]:
        return [tuple(row) for row in rows(  # type: ignore[misc]
            east, "SELECT request_id, amount_fen, principal_delta_fen FROM ledger_transactions WHERE type = 'VOID' "
            "AND original_transaction_id = :original ORDER BY created_at", original=job.lines[0].transaction_id)]

    def notes() -> list[tuple[str, int, str]]:
        return [tuple(row) for row in rows(  # type: ignore[misc]
            hq, "SELECT credit_id, amount_fen, transaction_id FROM company_credit_notes WHERE company_id = :c "
            "ORDER BY created_at", c=PARTIAL)]

    # 20.00 paid covers the first 20.00 of line 0 (oldest first): 80.00 of it is creditable. 15.00 spent.
    assert _posted(stub, _payment(2_000, company_id=PARTIAL)).payment.posted
    regions.clients["E"].transactions.Checkout(sale(card, 1_500), timeout=DEADLINE)
    assert owed() == (16_000, 2_000, 14_000) and principal() == 8_500
    receivable = _receivable(regions, "E")

    first_request = credit(3_000)
    first = stub.CreditCompanyLine(first_request, timeout=DEADLINE)
    assert (first.card_number, first.amount_fen, first.line_left_fen, first.outstanding_fen) == (card, 3_000, 5_000, 11_000)
    assert principal() == 5_500 and receivable - _receivable(regions, "E") == 3_000
    second = stub.CreditCompanyLine(credit(4_000), timeout=DEADLINE)
    assert (second.amount_fen, second.line_left_fen, second.outstanding_fen) == (4_000, 1_000, 7_000)
    assert principal() == 1_500 and receivable - _receivable(regions, "E") == 7_000
    posted = voids()
    assert [(amount, delta) for _, amount, delta in posted] == [(3_000, -3_000), (4_000, -4_000)]
    assert [key for key, _, _ in posted] == [f"company-credit:{credit_id}" for credit_id, _, _ in notes()]

    # More than is left: refused naming the limit, nothing written anywhere.
    with pytest.raises(grpc.RpcError) as over:
        stub.CreditCompanyLine(credit(1_001), timeout=DEADLINE)
    assert over.value.code() == grpc.StatusCode.FAILED_PRECONDITION, over.value.details()
    assert "amount_fen" in over.value.details() and "at most ¥10.00" in over.value.details(), over.value.details()
    with pytest.raises(grpc.RpcError) as negative:
        stub.CreditCompanyLine(credit(-1), timeout=DEADLINE)
    assert negative.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "amount_fen" in negative.value.details()
    assert len(notes()) == 2 and voids() == posted and owed() == (9_000, 2_000, 7_000)
    assert receivable - _receivable(regions, "E") == 7_000

    # A retry posts once: the same request answers the same credit; and should HQ have lost the region's
    # answer, sending the credit again finds the region's first posting (keyed by the credit).
    credit_id = notes()[0][0]
    execute(hq, "UPDATE company_credit_notes SET transaction_id = '' WHERE credit_id = :id", id=credit_id)
    again = stub.CreditCompanyLine(first_request, timeout=DEADLINE)
    assert (again.transaction_id, again.amount_fen, again.line_left_fen) == (first.transaction_id, 3_000, 1_000)
    assert voids() == posted and principal() == 1_500 and notes()[0][2] == first.transaction_id
    with pytest.raises(grpc.RpcError) as other_amount:  # the same request id asking another amount
        stub.CreditCompanyLine(credit(2_000, request_id=first_request.request_id), timeout=DEADLINE)
    assert other_amount.value.code() == grpc.StatusCode.ALREADY_EXISTS

    # No amount: the rest of the line (10.00); then nothing is left to credit.
    rest = stub.CreditCompanyLine(credit(0), timeout=DEADLINE)
    assert (rest.amount_fen, rest.line_left_fen, rest.outstanding_fen) == (1_000, 0, 6_000)
    with pytest.raises(grpc.RpcError) as none_left:
        stub.CreditCompanyLine(credit(1), timeout=DEADLINE)
    assert none_left.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "nothing left to credit" in none_left.value.details() and "already credited" in none_left.value.details()
    assert principal() == 500 and receivable - _receivable(regions, "E") == 8_000
    assert [amount for _, amount, _ in voids()] == [3_000, 4_000, 1_000]
    assert_ledger_consistent(east)

    # What is left is payable to the fen: line 0's paid 20.00 and line 1's 60.00.
    assert owed() == (8_000, 2_000, 6_000)
    cards = {item.card_number: item.bought_fen for item in stub.ListCompanyCards(
        companies_pb2.ListCompanyCardsRequest(company_id=PARTIAL), timeout=DEADLINE).cards}
    assert cards[card] == 2_000
    assert _posted(stub, _payment(6_000, company_id=PARTIAL)).outstanding_fen == 0


SELF_SERVED = "CO-SELF"


def test_a_company_admin_sees_its_own_company_cards_and_orders_and_nothing_else(regions, stub) -> None:  # type: ignore[no-untyped-def]
    """A company's own administrator (C6), created by an HQ admin, logs in with the company's scope and
    reads its account, its cards (balances and usage) and its bulk recharges through the real HQ; another
    company's, and every other call, are PERMISSION_DENIED."""
    from chaincard.db.engine import make_engine, make_session_factory
    from chaincard.security.client import bearer_metadata, issue_token
    from chaincard.security.identity import Role, Scope
    from chaincard.v1 import directory_pb2, directory_pb2_grpc, operators_pb2, operators_pb2_grpc
    from hq_service.operators import bootstrap_admin

    stub.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=company(SELF_SERVED, 107)),
                       timeout=DEADLINE)
    own_job = _wait(stub, stub.BulkRecharge(_order([_new(3_000)], company_id=SELF_SERVED), timeout=DEADLINE).job.job_id)
    others_job = _wait(stub, stub.BulkRecharge(_order([_new(1_000)], company_id=OTHER), timeout=DEADLINE).job.job_id)
    assert own_job.state == others_job.state == companies_pb2.COMPANY_RECHARGE_STATE_COMPLETED

    engine = make_engine(regions.database_urls["hq"])
    try:
        with make_session_factory(engine).begin() as session:
            bootstrap_admin(session, "OP-CO-HQ", "hq-admin-password", login_name="co-hq-admin")
    finally:
        engine.dispose()
    with open_channel(regions.hq_endpoint) as channel:
        admin = issue_token(channel, "co-hq-admin", "hq-admin-password", deadline=DEADLINE).token
        operators_pb2_grpc.OperatorServiceStub(channel).UpsertOperator(operators_pb2.UpsertOperatorRequest(
            request_id=new_id(), initial_password="company-admin-password", operator=operators_pb2.Operator(
                operator_id="OP-CO-SELF", login_name="self-admin", display_name="安科 财务", role=Role.COMPANY_ADMIN.to_proto(),
                scope=Scope.company(SELF_SERVED).to_proto(), active=True)), timeout=DEADLINE, metadata=bearer_metadata(admin))
        login = issue_token(channel, "self-admin", "company-admin-password", deadline=DEADLINE)
        assert (login.operator.scope.level, login.operator.scope.id) == (operators_pb2.SCOPE_LEVEL_COMPANY, SELF_SERVED)
        token = bearer_metadata(login.token)
        companies = companies_pb2_grpc.CompanyServiceStub(channel)

        mine = companies.GetCompany(companies_pb2.GetCompanyRequest(company_id=SELF_SERVED), timeout=DEADLINE, metadata=token)
        assert (mine.company.company_id, mine.invoiced_fen, mine.outstanding_fen) == (SELF_SERVED, 3_000, 3_000)
        cards = companies.ListCompanyCards(companies_pb2.ListCompanyCardsRequest(company_id=SELF_SERVED), timeout=DEADLINE,
                                           metadata=token)
        assert [(card.card_number, card.bought_fen) for card in cards.cards] == [(own_job.lines[0].card_number, 3_000)]
        job = companies.GetBulkRecharge(companies_pb2.GetBulkRechargeRequest(job_id=own_job.job_id), timeout=DEADLINE,
                                        metadata=token)
        assert job.job.lines_posted == 1 and job.company.company_id == SELF_SERVED

        def denied(call) -> None:  # type: ignore[no-untyped-def]
            with pytest.raises(grpc.RpcError) as refused:
                call()
            assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, refused.value.details()

        denied(lambda: companies.GetCompany(companies_pb2.GetCompanyRequest(company_id=OTHER), timeout=DEADLINE, metadata=token))
        denied(lambda: companies.ListCompanyCards(companies_pb2.ListCompanyCardsRequest(company_id=OTHER), timeout=DEADLINE,
                                                  metadata=token))
        denied(lambda: companies.GetBulkRecharge(companies_pb2.GetBulkRechargeRequest(job_id=others_job.job_id),
                                                 timeout=DEADLINE, metadata=token))
        denied(lambda: companies.ListCompanies(companies_pb2.ListCompaniesRequest(), timeout=DEADLINE, metadata=token))
        denied(lambda: companies.RecordCompanyPayment(_payment(3_000, company_id=SELF_SERVED), timeout=DEADLINE, metadata=token))
        denied(lambda: companies.CreditCompanyLine(companies_pb2.CreditCompanyLineRequest(
            request_id=new_id(), job_id=own_job.job_id, line_index=0), timeout=DEADLINE, metadata=token))
        denied(lambda: companies.BulkRecharge(_order([_new(1_000)], company_id=SELF_SERVED), timeout=DEADLINE, metadata=token))
        denied(lambda: directory_pb2_grpc.DirectoryServiceStub(channel).ListRegions(
            directory_pb2.ListRegionsRequest(), timeout=DEADLINE, metadata=token))
        denied(lambda: operators_pb2_grpc.OperatorServiceStub(channel).GetTokenVerificationKeys(
            operators_pb2.GetTokenVerificationKeysRequest(), timeout=DEADLINE, metadata=token))
    # Nor at a region: not even its own card.
    denied(lambda: regions.clients["E"].cards.GetCard(cards_pb2.GetCardRequest(card_number=own_job.lines[0].card_number),
                                                      timeout=DEADLINE, metadata=token))
