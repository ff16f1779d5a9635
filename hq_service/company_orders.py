"""A company's card order (C6, docs/adr/0045): the lines of a bulk purchase or recharge, read from a
CSV or XLSX file and checked line by line before anything is sent. Pure: no database, no gRPC.

A line either recharges a card the company already holds (``card_number``) or asks for a new card
for a named holder (``holder_name`` and ``holder_phone``, no card number). Amounts are written in
yuan, as a company's finance staff write them ("500" or "500.00"), and held in integer fen. Every
refusal names the line by its index in the order (0-based, the header not counted), e.g.
``lines[3].amount``, so one bad line of a thousand can be found and fixed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from chaincard.errors import InvalidArgument
from chaincard.phones import normalise_phone
from chaincard.validation import card_number, require_text

COLUMNS = ("card_number", "holder_name", "holder_phone", "amount")
MAX_LINES = 10_000
# ¥50,000 a line: a card's own balance cap (V9, chaincard.compliance) is far lower; this only bounds the field.
MAX_LINE_FEN = 5_000_000


@dataclass(frozen=True)
class OrderLine:
    """One line: ``card_number`` set for a recharge, empty for a new card (then holder_* are set)."""

    index: int
    card_number: str
    holder_name: str
    holder_phone: str
    amount_fen: int

    @property
    def new_card(self) -> bool:
        return not self.card_number


def yuan_to_fen(field: str, text: str) -> int:
    """``text`` in yuan (at most two decimals, positive, at most :data:`MAX_LINE_FEN`) as fen."""
    try:
        yuan = Decimal(text.strip().replace(",", ""))
    except InvalidOperation as error:
        raise InvalidArgument(field, f"{text!r} is not an amount in yuan (e.g. 500.00)") from error
    if not yuan.is_finite() or yuan != yuan.quantize(Decimal("0.01")):
        raise InvalidArgument(field, f"{text!r}: at most two decimals (fen)")
    fen = int(yuan * 100)
    if not 0 < fen <= MAX_LINE_FEN:
        raise InvalidArgument(field, f"must be more than 0 and at most {MAX_LINE_FEN // 100} yuan")
    return fen


def check_line(index: int, row: dict[str, str]) -> OrderLine:
    """One line of the order, every field checked, or INVALID_ARGUMENT naming ``lines[index].<field>``."""
    prefix = f"lines[{index}]"
    number = (row.get("card_number") or "").strip()
    name = (row.get("holder_name") or "").strip()
    phone = (row.get("holder_phone") or "").strip()
    if number:
        number = card_number(number, f"{prefix}.card_number")
        if name or phone:
            raise InvalidArgument(f"{prefix}.holder_name", "a recharge of an existing card names no new holder")
    else:
        name = require_text(f"{prefix}.holder_name", name, max_length=64)
        normalised = normalise_phone(phone)
        if normalised is None:
            raise InvalidArgument(f"{prefix}.holder_phone", "a new card needs the holder's mainland mobile number")
        phone = normalised
    amount = yuan_to_fen(f"{prefix}.amount", row.get("amount") or "")
    return OrderLine(index=index, card_number=number, holder_name=name, holder_phone=phone, amount_fen=amount)


def check_lines(rows: list[dict[str, str]]) -> list[OrderLine]:
    """Every line checked; a card named twice, or a new holder's phone given twice, is refused (one
    recharge per card per order keeps the invoice readable, and a phone identifies one member)."""
    if not rows:
        raise InvalidArgument("lines", "the order has no lines")
    if len(rows) > MAX_LINES:
        raise InvalidArgument("lines", f"at most {MAX_LINES} lines per order (this one has {len(rows)})")
    lines = [check_line(index, row) for index, row in enumerate(rows)]
    cards: dict[str, int] = {}
    phones: dict[str, int] = {}
    for line in lines:
        seen, key, field = (phones, line.holder_phone, "holder_phone") if line.new_card else (cards, line.card_number, "card_number")
        if key in seen:
            raise InvalidArgument(f"lines[{line.index}].{field}", f"already on line {seen[key]}")
        seen[key] = line.index
    return lines


def invoice_total_fen(lines: list[OrderLine]) -> int:
    return sum(line.amount_fen for line in lines)


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """The data rows of a CSV (UTF-8, with or without BOM) or XLSX file (its first sheet), keyed by
    the header row's column names; blank rows are skipped. The header must name :data:`COLUMNS`."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        table = _xlsx_table(path)
    else:
        table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise InvalidArgument("file", f"{path.name} is empty")
    header = [cell.strip().lower() for cell in table[0]]
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise InvalidArgument("file", f"{path.name}: the header row lacks {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    return [{column: (row[header.index(column)] if header.index(column) < len(row) else "") for column in COLUMNS}
            for row in table[1:]]


def _xlsx_table(path: Path) -> list[list[str]]:
    from openpyxl import load_workbook  # only when a workbook is read

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    """A cell as typed: a card number typed as a number keeps its digits (no '.0', no exponent)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return format(Decimal(str(value)), "f")
    return str(value)
