"""Importing a chain's old data (M4, V8) through ``chaincard import`` against a real HQ and two
regions over gRPC, PostgreSQL and the broker: a legacy export of cards with their holders and
balances, some rows bad in ten ways. The dry run reports exactly the bad rows and writes nothing;
the real run imports the rest as opening balances (never recharges); the reconciliation balances
to the fen per region and franchisee; running the file again imports nothing."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import grpc
import pytest

from chaincard.cli import main
from chaincard.events.envelope import unwrap
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import events_pb2, imports_pb2, imports_pb2_grpc
from region_service.handlers.imports import import_chunk
from tests.support.legacy_files import LegacyFile, legacy_file
from tests.support.sql import rows, scalar

# A broker of its own (tests/integration/conftest.py): HQ reads its topics from the start, and on the
# session broker it would first work through every other module's events (the import's 10,000 rows).
OWN_BROKER = True

# The check: 10,000 rows, 50 bad in ten ways (CHAINCARD_IMPORT_TEST_ROWS sets another size).
ROWS = int(os.environ.get("CHAINCARD_IMPORT_TEST_ROWS", "10000"))
BAD = 50
CARD_BASE = 6_200_000_000_000
PHONE_BASE = 13_800_000_000
# Three runs of the file in one test, on a shared two-core machine under load.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture
def cli(regions, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Runs ``chaincard import …`` in this process against the fixtures' HQ: (exit status, stdout, stderr)."""
    monkeypatch.setenv("CHAINCARD_INSECURE", "1")  # the fixtures' HQ runs --insecure

    def run(*arguments: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(["import", *arguments, "--hq", regions.hq_endpoint])
        out, err = capsys.readouterr()
        return status, out, err
    return run


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> tuple[LegacyFile, Path]:  # type: ignore[no-untyped-def]
    made = legacy_file(ROWS, BAD, phone_base=PHONE_BASE, card_base=CARD_BASE)
    path = tmp_path_factory.mktemp("legacy") / "会员导出.csv"
    path.write_bytes(made.csv_bytes("gbk"))  # as a Chinese Windows POS exports it
    return made, path


def _imported(regions, made: LegacyFile) -> dict[str, tuple[int, int, int, int, int]]:  # type: ignore[no-untyped-def]
    """Per region: members and cards of the file's numbers, and their opening principal, bonus and points."""
    found = {}
    numbers = [row[2] for row in made.rows]
    for code in ("E", "W"):
        url = regions.database_urls[code]
        cards = scalar(url, "SELECT COUNT(*) FROM cards WHERE card_number = ANY(:numbers)", numbers=numbers)
        members = scalar(url, "SELECT COUNT(DISTINCT member_id) FROM cards WHERE card_number = ANY(:numbers)", numbers=numbers)
        [(principal, bonus, points)] = rows(
            url, "SELECT COALESCE(SUM(principal_delta_fen), 0), COALESCE(SUM(bonus_delta_fen), 0), COALESCE(SUM(points_delta), 0) "
                 "FROM ledger_transactions WHERE type = 'OPENING_BALANCE' AND card_number = ANY(:numbers)", numbers=numbers)
        found[code] = (int(members), int(cards), int(principal), int(bonus), int(points))
    return found


def _report(path: Path) -> dict[int, str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        reported: dict[int, set[str]] = {}
        for line in reader:
            reported.setdefault(int(line["row"]), set()).add(line["column"])
    assert all(len(columns) == 1 for columns in reported.values()), reported
    return {row: next(iter(columns)) for row, columns in reported.items()}


def _count(out: str, label: str) -> int:
    match = re.search(rf"{label} (\d+)", out)
    assert match is not None, out
    return int(match.group(1))


def test_dry_run_reports_exactly_the_bad_rows_and_imports_nothing(regions, cli, legacy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    made, path = legacy
    report = tmp_path / "errors.csv"
    status, out, err = cli("cards", str(path), "--dry-run", "--report", str(report))
    assert status == 3, err
    assert _count(out, "rows read") == ROWS
    assert _count(out, "in error") == BAD
    assert _report(report) == made.bad_rows  # each bad row, with the column as the file names it
    assert _imported(regions, made) == {"E": (0, 0, 0, 0, 0), "W": (0, 0, 0, 0, 0)}


def test_real_run_imports_the_rest_reconciles_to_the_fen_and_a_rerun_imports_nothing(regions, cli, legacy, tmp_path) -> None:  # type: ignore[no-untyped-def]
    made, path = legacy
    status, out, err = cli("cards", str(path), "--report", str(tmp_path / "errors.xlsx"))
    assert status == 3, err  # the bad rows are still reported
    assert (_count(out, "imported"), _count(out, "already imported")) == (made.good_rows, 0)
    held = _imported(regions, made)
    assert sum(region[1] for region in held.values()) == made.good_rows
    assert sum(region[2] for region in held.values()) == made.principal_fen
    assert sum(region[3] for region in held.values()) == made.bonus_fen
    assert sum(region[4] for region in held.values()) == made.points
    numbers = [row[2] for row in made.rows]
    for code in ("E", "W"):
        url = regions.database_urls[code]
        # Opening balances only: never a recharge, so no promotion, no points earned, no coupon.
        assert scalar(url, "SELECT COUNT(*) FROM ledger_transactions WHERE type <> 'OPENING_BALANCE' "
                           "AND card_number = ANY(:numbers)", numbers=numbers) == 0
        assert scalar(url, "SELECT COUNT(*) FROM coupons WHERE card_number = ANY(:numbers)", numbers=numbers) == 0
        # Each opening balance is audited, and the migration account mirrors the cards' credit.
        assert scalar(url, "SELECT COUNT(*) FROM audit_log WHERE action = 'card.opening_balance' "
                           "AND target_id = ANY(:numbers)", numbers=numbers) == held[code][1]
        assert scalar(url, "SELECT COALESCE(SUM(p.amount), 0) FROM postings p JOIN ledger_accounts a USING (account_id) "
                           "WHERE a.purpose = 'MIGRATION_OPENING' AND a.asset = 'STORED_VALUE_PRINCIPAL'") == held[code][2]

    status, out, err = cli("reconcile", str(path))
    assert status == 0, out + err
    assert "balanced to the fen" in out

    status, out, err = cli("cards", str(path))
    assert status == 3, err
    assert (_count(out, "imported"), _count(out, "already imported")) == (0, made.good_rows)
    assert _imported(regions, made) == held


def test_a_legacy_card_number_is_kept_and_routed_home(regions, legacy) -> None:  # type: ignore[no-untyped-def]
    made, _ = legacy
    row = made.rows[3]  # a good row (index 3) of store S-W-002 (Bamboo, West)
    assert row[7] == "S-W-002"
    [(member_id, franchisee, form)] = rows(regions.database_urls["W"], "SELECT member_id, issuing_franchisee_id, form FROM cards "
                                          "WHERE card_number = :number", number=row[2])
    assert (franchisee, form) == ("F-BAMBOO", "PHYSICAL")
    assert scalar(regions.database_urls["hq"], "SELECT home_region FROM physical_cards WHERE card_number = :n", n=row[2]) == "W"
    assert scalar(regions.database_urls["hq"], "SELECT member_id FROM phone_claims WHERE home_region = 'W' AND member_id = :m",
                  m=member_id) == member_id


def test_hostile_streams_are_refused_naming_the_field(regions) -> None:  # type: ignore[no-untyped-def]
    start = imports_pb2.ImportStart(kind=imports_pb2.IMPORT_KIND_CARDS, mode=imports_pb2.IMPORT_MODE_IMPORT,
                                    file_sha256="a" * 64, file_name="x.csv")
    good_row = imports_pb2.ImportRow(row=2, name="李雷", phone="13700000001", card_number="7100000000001", card_type="SV",
                                     store="S-E-001", principal="1.00")
    cases = [
        ([], "stream"),
        ([imports_pb2.ImportRowsRequest(rows=[good_row])], "stream[0].start"),
        ([imports_pb2.ImportRowsRequest(start=imports_pb2.ImportStart(mode=imports_pb2.IMPORT_MODE_IMPORT, file_sha256="a" * 64),
                                        rows=[good_row])], "stream[0].start.kind"),
        ([imports_pb2.ImportRowsRequest(start=imports_pb2.ImportStart(kind=imports_pb2.IMPORT_KIND_CARDS,
                                                                      mode=imports_pb2.IMPORT_MODE_IMPORT, file_sha256="zz"),
                                        rows=[good_row])], "stream[0].start.file_sha256"),
        ([imports_pb2.ImportRowsRequest(start=start, rows=[good_row, good_row])], "stream[0].rows[1].row"),
        ([imports_pb2.ImportRowsRequest(start=start, rows=[imports_pb2.ImportRow(row=2, name="x" * 10_000)])],
         "stream[0].rows[0].name"),
        ([imports_pb2.ImportRowsRequest(start=start, rows=[good_row]), imports_pb2.ImportRowsRequest(start=start)],
         "stream[1].start"),
        ([imports_pb2.ImportRowsRequest(start=start)], "rows"),
    ]
    with open_channel(regions.hq_endpoint) as channel:
        stub = imports_pb2_grpc.ImportServiceStub(channel)
        for messages, field in cases:
            with pytest.raises(grpc.RpcError) as refused:
                stub.ImportRows(iter(messages), timeout=30)
            assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT, (field, refused.value.details())
            assert field in (refused.value.details() or ""), (field, refused.value.details())
    assert scalar(regions.database_urls["E"], "SELECT COUNT(*) FROM cards WHERE card_number = '7100000000001'") == 0
    assert scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM physical_cards WHERE card_number = '7100000000001'") == 0


def test_members_then_cards_then_balances_each_once(regions, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The three kinds in turn: members alone, their cards without balances, then the balances; each re-run writes nothing."""
    members = tmp_path / "members.csv"
    members.write_text("姓名,手机号,门店,生日,性别\n王芳,13500000001,S-E-002,1985/3/4,女\n赵强,13500000002,S-W-001,,男\n",
                       encoding="utf-8-sig")
    cards = tmp_path / "cards.csv"
    cards.write_text("Name,Phone,Card No.,Card Type,Store\n王芳,13500000001,7300000000001,SV,S-E-002\n"
                     "赵强,13500000002,7300000000002,GOLD,S-W-001\n", encoding="utf-8")
    balances = tmp_path / "balances.csv"
    balances.write_text("卡号,本金余额,赠送余额,积分\n7300000000001,88.80,8,100\n7300000000002,1000,,\n7300000000009,1,,\n",
                        encoding="gbk")
    for path, imported in ((members, 2), (cards, 2)):
        status, out, err = cli(path.name.removesuffix(".csv"), str(path))
        assert status == 0, out + err
        assert (_count(out, "imported"), _count(out, "already imported")) == (imported, 0)
        status, out, err = cli(path.name.removesuffix(".csv"), str(path))
        assert (status, _count(out, "imported"), _count(out, "already imported")) == (0, 0, imported), out + err
    east, west = regions.database_urls["E"], regions.database_urls["W"]
    assert scalar(east, "SELECT member_id FROM cards WHERE card_number = '7300000000001'") == scalar(
        east, "SELECT member_id FROM members WHERE name = '王芳' AND channel = 'BATCH_IMPORT'")
    assert scalar(east, "SELECT COUNT(*) FROM ledger_transactions WHERE card_number = '7300000000001'") == 0

    status, out, err = cli("balances", str(balances), "--report", str(tmp_path / "errors.csv"))
    assert status == 3, out + err  # the unknown card
    assert _report(tmp_path / "errors.csv") == {4: "卡号"}
    assert (_count(out, "imported"), _count(out, "already imported")) == (2, 0)
    assert rows(east, "SELECT principal_delta_fen, bonus_delta_fen, points_delta FROM ledger_transactions "
                      "WHERE card_number = '7300000000001' AND type = 'OPENING_BALANCE'") == [(8880, 800, 100)]
    assert rows(west, "SELECT principal_delta_fen FROM ledger_transactions WHERE card_number = '7300000000002'") == [(100_000,)]
    status, out, err = cli("balances", str(balances))
    assert (_count(out, "imported"), _count(out, "already imported")) == (0, 2)
    status, out, err = cli("reconcile", str(balances), "--kind", "balances")
    assert status == 0 and "balanced to the fen" in out, out + err


def test_a_dry_run_also_reports_what_hq_holds_against_a_row(regions, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A phone already homed in another region, a card number in the directory for another home: found by the dry run too."""
    first = tmp_path / "first.csv"
    first.write_text("姓名,手机号,卡号,卡类型,开卡门店\n孙丽,13500000011,7400000000001,SV,S-E-001\n", encoding="utf-8")
    status, out, err = cli("cards", str(first))
    assert status == 0, out + err
    clash = tmp_path / "clash.csv"
    clash.write_text("姓名,手机号,卡号,卡类型,开卡门店\n孙丽,13500000011,7400000000002,SV,S-W-001\n"
                     "周杰,13500000012,7400000000001,SV,S-W-002\n", encoding="utf-8")
    report = tmp_path / "clash-errors.csv"
    for extra in (["--dry-run"], []):
        status, out, err = cli("cards", str(clash), "--report", str(report), *extra)
        assert status == 3, out + err
        assert _report(report) == {2: "手机号", 3: "卡号"}
    assert scalar(regions.database_urls["W"], "SELECT COUNT(*) FROM cards WHERE card_number LIKE '74%'") == 0


def _chunk(kind: int, *rows: imports_pb2.ImportChunkRow) -> imports_pb2.ImportChunkRequest:
    return imports_pb2.ImportChunkRequest(request_id=new_id(), kind=kind, rows=list(rows))


def test_a_region_chunk_decides_each_row_alone_and_writes_the_rest_in_one_batch(regions, region_context) -> None:  # type: ignore[no-untyped-def]
    """The region's batch path (region_service.import_batch) row by row: one member's two cards, a row
    refused at the region leaving nothing of it (its member neither), balances onto a card that
    already holds some, and the same chunk sent again writing nothing."""
    east = regions.database_urls["E"]
    member, other = new_id(), new_id()

    def card_row(row: int, member_id: str, phone: str, number: str, card_type: str = "SV", **amounts: int) -> imports_pb2.ImportChunkRow:
        return imports_pb2.ImportChunkRow(row=row, member_id=member_id, name="钱多多", phone=phone, card_number=number,
                                          card_type_code=card_type, store_id="S-E-001", **amounts)

    cards = _chunk(imports_pb2.IMPORT_KIND_CARDS,
                   card_row(2, member, "13900000001", "7500000000001", principal_fen=1000, points=10),
                   card_row(3, member, "13900000001", "7500000000002", "GOLD", bonus_fen=250),
                   card_row(4, other, "13900000002", "7500000000001", principal_fen=5),  # the first row's card
                   card_row(5, other, "13900000002", "7500000000003", "COUNT", principal_fen=5),  # holds no stored value
                   card_row(6, member, "13900000001", "7500000000004"))  # no balance yet
    answer = region_context.commands.run(import_chunk, cards)
    outcomes = [(result.outcome, result.column) for result in answer.results]
    assert outcomes == [(imports_pb2.IMPORT_ROW_OUTCOME_IMPORTED, ""), (imports_pb2.IMPORT_ROW_OUTCOME_IMPORTED, ""),
                        (imports_pb2.IMPORT_ROW_OUTCOME_REFUSED, "card_number"),
                        (imports_pb2.IMPORT_ROW_OUTCOME_REFUSED, "principal"), (imports_pb2.IMPORT_ROW_OUTCOME_IMPORTED, "")], answer
    assert scalar(east, "SELECT COUNT(*) FROM members WHERE member_id = ANY(:m)", m=[member, other]) == 1
    assert rows(east, "SELECT card_number FROM cards WHERE member_id = :m ORDER BY 1", m=member) == [
        ("7500000000001",), ("7500000000002",), ("7500000000004",)]
    assert scalar(east, "SELECT COUNT(*) FROM cards WHERE card_number = '7500000000003'") == 0

    balances = _chunk(imports_pb2.IMPORT_KIND_BALANCES,
                      imports_pb2.ImportChunkRow(row=2, card_number="7500000000004", principal_fen=700, points=3),
                      imports_pb2.ImportChunkRow(row=5, card_number="7500000000002", principal_fen=700),
                      imports_pb2.ImportChunkRow(row=3, card_number="7500000000001", principal_fen=99),  # has its opening
                      imports_pb2.ImportChunkRow(row=4, card_number="7500000000009", principal_fen=1))  # no such card
    answer = region_context.commands.run(import_chunk, balances)
    assert [result.outcome for result in answer.results] == [
        imports_pb2.IMPORT_ROW_OUTCOME_IMPORTED, imports_pb2.IMPORT_ROW_OUTCOME_ALREADY_IMPORTED,
        imports_pb2.IMPORT_ROW_OUTCOME_ALREADY_IMPORTED, imports_pb2.IMPORT_ROW_OUTCOME_REFUSED], answer
    assert (answer.results[1].principal_fen, answer.results[1].bonus_fen) == (0, 250)  # the opening as posted, not the row's
    for again in (cards, balances):
        again.request_id = new_id()
        answer = region_context.commands.run(import_chunk, again)
        assert imports_pb2.IMPORT_ROW_OUTCOME_IMPORTED not in [result.outcome for result in answer.results], answer

    numbers = ["7500000000001", "7500000000002", "7500000000004"]
    # One opening balance per card, balanced against the issuer's migration account, and the cards'
    # accounts and points lots hold exactly it.
    assert rows(east, "SELECT card_number, principal_delta_fen, bonus_delta_fen, points_delta, principal_after_fen, "
                      "bonus_after_fen, points_after FROM ledger_transactions WHERE card_number = ANY(:n) ORDER BY 1", n=numbers) == [
        ("7500000000001", 1000, 0, 10, 1000, 0, 10), ("7500000000002", 0, 250, 0, 0, 250, 0),
        ("7500000000004", 700, 0, 3, 700, 0, 3)]
    assert rows(east, "SELECT a.card_number, a.asset, a.balance FROM ledger_accounts a WHERE a.card_number = ANY(:n) "
                      "AND a.balance <> 0 ORDER BY 1, 2", n=numbers) == [
        ("7500000000001", "POINTS", 10), ("7500000000001", "STORED_VALUE_PRINCIPAL", 1000),
        ("7500000000002", "STORED_VALUE_BONUS", 250), ("7500000000004", "POINTS", 3),
        ("7500000000004", "STORED_VALUE_PRINCIPAL", 700)]
    assert scalar(east, "SELECT SUM(CASE p.direction WHEN 'CREDIT' THEN p.amount ELSE -p.amount END) FROM postings p "
                        "JOIN ledger_transactions t USING (transaction_id) WHERE t.card_number = ANY(:n)", n=numbers) == 0
    assert scalar(east, "SELECT SUM(points_remaining) FROM points_lots WHERE card_number = ANY(:n)", n=numbers) == 13
    assert scalar(east, "SELECT COUNT(*) FROM receipts r JOIN ledger_transactions t USING (transaction_id) "
                        "WHERE t.card_number = ANY(:n)", n=numbers) == 3
    # The events HQ and settlement read: the member once, each card opened once, each opening posted once.
    assert rows(east, "SELECT event_type, COUNT(*) FROM outbox WHERE message_key = ANY(:k) GROUP BY 1 ORDER BY 1",
                k=[member, *numbers]) == [("chaincard.v1.AuditEntryRecorded", 3), ("chaincard.v1.CardOpened", 3),
                                          ("chaincard.v1.MemberRegistered", 1), ("chaincard.v1.TransactionPosted", 3)]
    # Each card is announced as imported, so HQ greets nobody with a "card opened" text.
    openings = [unwrap(events_pb2.EventEnvelope.FromString(bytes(raw))) for (raw,) in rows(
        east, "SELECT envelope FROM outbox WHERE message_key = ANY(:k) AND event_type = 'chaincard.v1.CardOpened'", k=numbers)]
    assert sorted((opened.card.card_number, opened.imported) for opened in openings) == [(n, True) for n in sorted(numbers)]
