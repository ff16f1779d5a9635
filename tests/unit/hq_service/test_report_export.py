"""Exported texts come from people (member names, audit reasons): a spreadsheet must never run
them as formulas (OWASP "CSV injection")."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from hq_service.report_export import to_csv, to_xlsx
from hq_service.report_tables import Fen, Table

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1)", "李伟"]


def _table() -> Table:
    table = Table("Members", ["name", "spent"])
    table.rows.extend([name, Fen(12_345)] for name in HOSTILE)
    return table


def test_xlsx_keeps_every_text_a_text_and_money_a_number():
    sheet = load_workbook(io.BytesIO(to_xlsx(_table()))).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [row[0].value for row in rows] == HOSTILE
    assert {row[0].data_type for row in rows} == {"s"}
    assert {row[1].value for row in rows} == {123.45}


def test_csv_quotes_what_a_spreadsheet_would_evaluate():
    lines = to_csv(_table()).decode("utf-8-sig").splitlines()[1:]
    first_cells = [line.rsplit(",", 1)[0].strip('"').replace('""', '"') for line in lines]
    assert first_cells == ["'" + text for text in HOSTILE[:4]] + ["李伟"]
