"""Reading an import file into rows of text: CSV in UTF-8 (with or without a BOM) or GBK/GB18030
(detected), or XLSX (the first sheet). Every cell comes out as text, so money is never a float:
an XLSX number becomes its shortest decimal spelling ("12.5"), which the validator then parses
exactly (docs/import.md)."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from chaincard.errors import InvalidArgument
from chaincard.imports.columns import Kind, map_headers

# Excel keeps numbers as doubles: beyond 15 significant digits a number typed as one is not what
# the old system held (a 19-digit card number comes back rounded).
_EXACT_DIGITS = 15


@dataclass(frozen=True)
class RawRow:
    """One data row: its number as a spreadsheet shows it (the header is row 1), and the text of each
    canonical field it gives. ``inexact``: fields an XLSX held as numbers too long to be exact."""

    row: int
    values: dict[str, str]
    inexact: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class ImportFile:
    """A file read whole: its SHA-256 (the import's identity), encoding and rows."""

    sha256: str
    encoding: str
    headers: list[str]
    rows: list[RawRow]


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (a BOM dropped) if it decodes as such, else GB18030
    (a superset of GBK and GB2312, what Chinese Excel and old POS systems write)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gbk"
    except UnicodeDecodeError as error:
        raise InvalidArgument("file", f"is neither UTF-8 nor GBK text (byte {error.start})") from error


def _cell_text(value: object) -> tuple[str, bool]:
    """A spreadsheet cell as text, and whether it was a number too long to be exact."""
    if value is None:
        return "", False
    if isinstance(value, bool):
        return str(value), False
    if isinstance(value, datetime):
        return value.date().isoformat(), False
    if isinstance(value, date):
        return value.isoformat(), False
    if isinstance(value, int):
        return str(value), len(str(abs(value))) > _EXACT_DIGITS
    if isinstance(value, float):
        if value.is_integer():
            text = str(int(value))
            return text, len(text.lstrip("-")) > _EXACT_DIGITS
        return repr(value), False  # the shortest spelling that reads back as this double
    return str(value).strip(), False


def _csv_table(data: bytes) -> tuple[str, list[list[str]]]:
    text, encoding = decode(data)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return encoding, [[cell.strip() for cell in line] for line in csv.reader(io.StringIO(text), dialect)]


def _xlsx_table(data: bytes) -> tuple[list[list[str]], list[set[int]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not a workbook
        raise InvalidArgument("file", f"is not a readable XLSX workbook: {error}") from error
    sheet = workbook.worksheets[0]
    table: list[list[str]] = []
    inexact: list[set[int]] = []
    for values in sheet.iter_rows(values_only=True):
        cells = [_cell_text(value) for value in values]
        table.append([text for text, _ in cells])
        inexact.append({index for index, (_, lossy) in enumerate(cells) if lossy})
    workbook.close()
    return table, inexact


def is_xlsx(data: bytes, name: str = "") -> bool:
    return name.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04")


def read_bytes(kind: Kind, data: bytes, name: str = "") -> ImportFile:
    """The file's rows under canonical field names; blank lines are skipped (their numbers kept)."""
    if is_xlsx(data, name):
        table, inexact = _xlsx_table(data)
        encoding = "xlsx"
    else:
        encoding, table = _csv_table(data)
        inexact = [set() for _ in table]
    if not table:
        raise InvalidArgument("file", "is empty: the first row must name the columns")
    headers = table[0]
    mapping = map_headers(kind, headers)
    rows = []
    for number, (cells, lossy) in enumerate(zip(table[1:], inexact[1:], strict=True), start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {field: (cells[index].strip() if index < len(cells) else "") for index, field in mapping.items()}
        rows.append(RawRow(row=number, values=values,
                           inexact=frozenset(mapping[index] for index in lossy if index in mapping)))
    return ImportFile(sha256=hashlib.sha256(data).hexdigest(), encoding=encoding, headers=headers, rows=rows)


def read_path(kind: Kind, path: str | Path) -> ImportFile:
    path = Path(path)
    return read_bytes(kind, path.read_bytes(), path.name)
