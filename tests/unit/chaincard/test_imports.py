"""Import files (chaincard.imports): encodings, XLSX, headers, and every kind of bad row."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from chaincard.errors import InvalidArgument
from chaincard.imports.columns import Kind, map_headers
from chaincard.imports.reading import decode, read_bytes
from chaincard.imports.report import report_rows, write_report
from chaincard.imports.rows import CardTypeFacts, Catalogue, RowError, StoreFacts, parse_yuan, validate
from tests.support.legacy_files import BAD_KINDS, HEADERS, legacy_file

CATALOGUE = Catalogue(
    stores={store_id: StoreFacts(store_id, region, franchisee) for store_id, region, franchisee in (
        ("S-E-001", "E", "F-HQ"), ("S-E-002", "E", "F-AURORA"), ("S-W-001", "W", "F-HQ"), ("S-W-002", "W", "F-BAMBOO"))},
    card_types={"SV": CardTypeFacts("SV"), "GOLD": CardTypeFacts("GOLD"),
                "COUNT": CardTypeFacts("COUNT", stored_value=False, points=False),
                "BEARER": CardTypeFacts("BEARER", anonymous=True)},
)
CARDS_CSV = "会员姓名,手机号,卡号,卡类型,本金余额,赠送余额,积分,开卡门店\n李雷,13912345678,6200000000001,SV,1234.56,10,300,S-E-002\n"


def _cards(text: str, encoding: str = "utf-8") -> tuple[list[RowError], int]:
    result = validate(Kind.CARDS, read_bytes(Kind.CARDS, text.encode(encoding), "f.csv").rows, CATALOGUE)
    return result.errors, len(result.valid)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_read_the_same_rows(encoding: str) -> None:
    read = read_bytes(Kind.CARDS, CARDS_CSV.encode(encoding), "legacy.csv")
    assert read.encoding == {"gb18030": "gbk"}.get(encoding, encoding)
    [row] = validate(Kind.CARDS, read.rows, CATALOGUE).valid
    assert (row.name, row.phone, row.card_number, row.principal_fen, row.bonus_fen, row.points) == (
        "李雷", "13912345678", "6200000000001", 123456, 1000, 300)
    assert (row.region_code, row.franchisee_id) == ("E", "F-AURORA")


def test_undecodable_bytes_are_refused() -> None:
    with pytest.raises(InvalidArgument, match="file"):
        decode(b"\xff\xfe\xfa\xfb\x81")


def test_english_and_decorated_headers() -> None:
    mapping = map_headers(Kind.CARDS, ["Name", "Phone", "Card No.", "card type", "本金余额(元)", "store_id", "备注"])
    assert sorted(mapping.values()) == ["card_number", "card_type", "name", "phone", "principal", "store"]


def test_missing_required_column_names_it() -> None:
    with pytest.raises(InvalidArgument, match="card_type"):
        map_headers(Kind.CARDS, ["姓名", "手机号", "卡号", "开卡门店"])
    with pytest.raises(InvalidArgument, match="both give phone"):
        map_headers(Kind.MEMBERS, ["姓名", "手机号", "phone", "门店"])


def test_xlsx_numbers_become_exact_fen_and_long_numbers_are_flagged() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["会员姓名", "手机号", "卡号", "卡类型", "本金余额", "赠送余额", "积分", "开卡门店"])
    sheet.append(["韩梅梅", 13912345679, "6200000000002", "GOLD", 0.1 + 0.2 - 0.3 + 19.99, 5, 12, "S-W-002"])
    sheet.append(["王五", 13912345670, 6200000000000000003, "SV", 1, 0, 0, "S-E-001"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = validate(Kind.CARDS, read_bytes(Kind.CARDS, buffer.getvalue(), "legacy.xlsx").rows, CATALOGUE)
    assert [(row.principal_fen, row.bonus_fen, row.points, row.region_code) for row in result.valid] == [(1999, 500, 12, "W")]
    assert [(error.row, error.column) for error in result.errors] == [(3, "card_number")]


def test_money_is_parsed_exactly() -> None:
    assert [parse_yuan(text) for text in ("0", "0.1", "12.30", "¥1,234.5", "1234.50元", "")] == [0, 10, 1230, 123450, 123450, 0]


@pytest.mark.parametrize(("cells", "column", "problem"), [
    ("李雷,1391234567,6200000000001,SV,1,0,0,S-E-001", "phone", "mainland mobile"),
    ("李雷,13912345678,62AB,SV,1,0,0,S-E-001", "card_number", "8 to 32 digits"),
    ("李雷,13912345678,881100000000010,SV,1,0,0,S-E-001", "card_number", "reserved"),
    ("李雷,13912345678,6200000000001,NOPE,1,0,0,S-E-001", "card_type", "no card type"),
    ("李雷,13912345678,6200000000001,BEARER,1,0,0,S-E-001", "card_type", "bearer"),
    ("李雷,13912345678,6200000000001,COUNT,1,0,0,S-E-001", "principal", "holds no stored value"),
    ("李雷,13912345678,6200000000001,COUNT,0,0,5,S-E-001", "points", "holds no points"),
    ("李雷,13912345678,6200000000001,SV,1.234,0,0,S-E-001", "principal", "more than 2 decimals"),
    ("李雷,13912345678,6200000000001,SV,abc,0,0,S-E-001", "principal", "not an amount"),
    ("李雷,13912345678,6200000000001,SV,1,-1,0,S-E-001", "bonus", "negative"),
    ("李雷,13912345678,6200000000001,SV,1,0,1.5,S-E-001", "points", "whole number"),
    ("李雷,13912345678,6200000000001,SV,1,0,0,S-NOPE", "store", "no store"),
    (",13912345678,6200000000001,SV,1,0,0,S-E-001", "name", "required"),
    ("李雷,13912345678,6200000000001,SV,1,0,0,", "store", "required"),
])
def test_each_bad_row_names_its_column(cells: str, column: str, problem: str) -> None:
    errors, valid = _cards("会员姓名,手机号,卡号,卡类型,本金余额,赠送余额,积分,开卡门店\n" + cells + "\n")
    assert valid == 0
    assert [(error.row, error.column) for error in errors] == [(2, column)]
    assert problem in errors[0].problem


def test_rows_against_each_other() -> None:
    text = ("会员姓名,手机号,卡号,卡类型,本金余额,开卡门店\n"
            "李雷,13912345678,6200000000001,SV,1,S-E-001\n"
            "李雷,13912345678,6200000000002,SV,1,S-E-002\n"   # a second card of the same member: fine
            "李雷,13912345678,6200000000003,SV,1,S-W-001\n"   # ... but not in another region
            "韩梅,13912345678,6200000000004,SV,1,S-E-001\n"   # ... nor under another name
            "王五,13912345670,6200000000001,SV,1,S-E-001\n")  # a card number twice
    errors, valid = _cards(text)
    assert [(error.row, error.column) for error in errors] == [(4, "store"), (5, "name"), (6, "card_number")]
    assert valid == 2


def test_members_and_balances_kinds() -> None:
    members = ("姓名,手机号,门店,生日,性别,邮箱\n李雷,+86 139-1234-5678,S-E-001,1990/1/2,男,li@example.com\n"
               "韩梅,13912345678,S-E-001,,女,\n张三,13912345670,S-E-001,1990-02-30,X,nope\n")
    result = validate(Kind.MEMBERS, read_bytes(Kind.MEMBERS, members.encode()).rows, CATALOGUE)
    assert [(row.phone, row.birthday, row.gender) for row in result.valid] == [("13912345678", "1990-01-02", "MALE")]
    assert [(error.row, error.column) for error in result.errors] == [(3, "phone"), (4, "birthday"), (4, "email"), (4, "gender")]
    balances = "卡号,本金余额,赠送余额,积分\n6200000000001,10.5,,7\n6200000000002,,,\n"
    result = validate(Kind.BALANCES, read_bytes(Kind.BALANCES, balances.encode()).rows, CATALOGUE)
    assert [(row.card_number, row.principal_fen, row.points) for row in result.valid] == [("6200000000001", 1050, 7)]
    assert [(error.row, error.column) for error in result.errors] == [(3, "")]


def test_generated_file_reports_exactly_its_bad_rows(tmp_path: object) -> None:
    legacy = legacy_file(1000, 50)
    read = read_bytes(Kind.CARDS, legacy.csv_bytes("gbk"), "legacy.csv")
    result = validate(Kind.CARDS, read.rows, CATALOGUE)
    headers = {field: HEADERS[index] for index, field in map_headers(Kind.CARDS, read.headers).items()}
    reported = {row: column for row, column, _ in report_rows(result.errors, headers)}
    assert reported == legacy.bad_rows
    assert len(set(legacy.bad_rows.values())) == len(set(BAD_KINDS.values()))
    assert len(result.valid) == legacy.good_rows
    assert sum(row.principal_fen for row in result.valid) == legacy.principal_fen


def test_report_files(tmp_path: object) -> None:
    from pathlib import Path

    base = Path(str(tmp_path))
    rows = [(3, "手机号", "'1' is not an 11-digit mainland mobile number")]
    write_report(base / "errors.csv", rows)
    assert (base / "errors.csv").read_text("utf-8-sig").splitlines() == [
        "row,column,problem", "3,手机号,'1' is not an 11-digit mainland mobile number"]
    write_report(base / "errors.xlsx", rows)
    sheet = load_workbook(base / "errors.xlsx").worksheets[0]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [["row", "column", "problem"], list(rows[0])]
