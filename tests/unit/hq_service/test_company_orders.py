"""A company's card order file (C6): CSV and XLSX read alike, amounts in yuan become fen, and a bad
line is refused naming its index and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from chaincard.errors import InvalidArgument
from chaincard.ids import make_card_number
from hq_service.company_orders import check_lines, invoice_total_fen, read_rows, yuan_to_fen

CARD = make_card_number("11", 42)
OTHER = make_card_number("12", 7)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "order.csv"
    path.write_text(text, encoding="utf-8-sig")
    return path


def test_a_csv_order_reads_recharges_and_new_cards(tmp_path: Path) -> None:
    path = _csv(tmp_path, f"card_number,holder_name,holder_phone,amount\n{CARD},,,500\n,王芳,+86 139 1234 5678,1000.50\n\n")
    lines = check_lines(read_rows(path))
    assert [(line.index, line.card_number, line.new_card, line.amount_fen) for line in lines] == [
        (0, CARD, False, 50_000), (1, "", True, 100_050)]
    assert lines[1].holder_phone == "13912345678"
    assert invoice_total_fen(lines) == 150_050


def test_an_xlsx_order_reads_the_same_with_numbers_typed_as_numbers(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Card_Number", "holder_name", "holder_phone", "amount"])
    sheet.append([int(OTHER), None, None, 200])
    sheet.append([None, "陈强", 13800001111, 99.9])
    path = tmp_path / "order.xlsx"
    workbook.save(path)
    lines = check_lines(read_rows(path))
    assert [(line.card_number, line.holder_phone, line.amount_fen) for line in lines] == [
        (OTHER, "", 20_000), ("", "13800001111", 9_990)]


@pytest.mark.parametrize(("rows", "field"), [
    ([{"card_number": CARD, "amount": "0"}], "lines[0].amount"),
    ([{"card_number": CARD, "amount": "12.345"}], "lines[0].amount"),
    ([{"card_number": CARD, "amount": "-5"}], "lines[0].amount"),
    ([{"card_number": CARD, "amount": "abc"}], "lines[0].amount"),
    ([{"card_number": CARD, "amount": "50000.01"}], "lines[0].amount"),
    ([{"card_number": CARD, "amount": "NaN"}], "lines[0].amount"),
    ([{"card_number": CARD, "amount": "1"}, {"card_number": "12ab", "amount": "1"}], "lines[1].card_number"),
    ([{"card_number": CARD, "amount": "1"}, {"card_number": CARD, "amount": "2"}], "lines[1].card_number"),
    ([{"holder_name": "王芳", "holder_phone": "12345", "amount": "1"}], "lines[0].holder_phone"),
    ([{"holder_name": " ", "holder_phone": "13912345678", "amount": "1"}], "lines[0].holder_name"),
    ([{"card_number": CARD, "holder_name": "王芳", "amount": "1"}], "lines[0].holder_name"),
    ([{"holder_name": "A", "holder_phone": "13912345678", "amount": "1"},
      {"holder_name": "B", "holder_phone": "139-1234-5678", "amount": "1"}], "lines[1].holder_phone"),
    ([], "lines"),
])
def test_a_bad_line_is_refused_naming_its_index_and_field(rows: list[dict[str, str]], field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        check_lines(rows)
    assert refused.value.field == field


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgument, match="lacks holder_phone"):
        read_rows(_csv(tmp_path, "card_number,holder_name,amount\n1,2,3\n"))
    with pytest.raises(InvalidArgument, match="empty"):
        read_rows(_csv(tmp_path, "\n\n"))


def test_yuan_become_fen_exactly() -> None:
    assert yuan_to_fen("amount", "0.01") == 1
    assert yuan_to_fen("amount", "1,000.10") == 100_010
    assert yuan_to_fen("amount", "50000") == 5_000_000
