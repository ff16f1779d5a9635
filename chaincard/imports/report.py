"""The per-row error report of an import (CSV or XLSX by the file's suffix): row, column, what is
wrong, with the column as the file named it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from pathlib import Path

from chaincard.imports.rows import RowError

HEADER = ("row", "column", "problem")


def report_rows(errors: Iterable[RowError], headers: Mapping[str, str]) -> list[tuple[int, str, str]]:
    """``headers``: canonical field -> the file's own header for it (the report speaks the file's language)."""
    return [(error.row, headers.get(error.column, error.column), error.problem) for error in errors]


def write_report(path: str | Path, rows: list[tuple[int, str, str]]) -> None:
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("errors")
        sheet.append(list(HEADER))
        for row in rows:
            sheet.append(list(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        path.write_bytes(buffer.getvalue())
        return
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # the BOM: Excel then reads UTF-8
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
