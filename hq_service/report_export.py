"""CSV and XLSX files of report tables (R3), and their streaming as ExportChunk messages."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

from chaincard.v1 import common_pb2
from hq_service.report_tables import Fen, Table

if TYPE_CHECKING:  # to_xlsx imports openpyxl when it runs
    from openpyxl.worksheet.worksheet import Worksheet

CHUNK_BYTES = 64 * 1024
CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# A text cell starting with one of these is a formula to a spreadsheet program. Exported texts come
# from people (member names, reasons in the audit log), so they stay text (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: object) -> object:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def to_csv(table: Table) -> bytes:
    """RFC 4180 CSV in UTF-8 with a byte-order mark (spreadsheet programs then read Chinese right);
    money in yuan with two decimals."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([str(cell.yuan()) if isinstance(cell, Fen) else _csv_text(cell) for cell in row])
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    """One worksheet: a header row, then the rows; money as numbers in yuan shown with two decimals."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = cast("Worksheet", workbook.active)  # a new workbook's one sheet
    sheet.title = table.title[:31] or "Report"  # Excel's limit on sheet names
    sheet.append(table.headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append([cell.yuan() if isinstance(cell, Fen) else cell for cell in row])
        for index, value in enumerate(row, start=1):
            if isinstance(value, Fen):
                sheet.cell(row=sheet.max_row, column=index).number_format = "#,##0.00"
            elif isinstance(value, str) and value.startswith("="):
                sheet.cell(row=sheet.max_row, column=index).data_type = "s"  # text, never a formula
    sheet.freeze_panes = "A2"
    for index, header in enumerate(table.headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(10, len(header) + 2)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def render(table: Table, export_format: int) -> tuple[bytes, str, str]:
    """(file bytes, extension, content type) of ``table`` in ``export_format``."""
    if export_format == common_pb2.EXPORT_FORMAT_CSV:
        return to_csv(table), "csv", CSV_TYPE
    if export_format == common_pb2.EXPORT_FORMAT_XLSX:
        return to_xlsx(table), "xlsx", XLSX_TYPE
    raise ValueError(export_format)


def chunks(data: bytes, file_name: str, content_type: str) -> Iterator[common_pb2.ExportChunk]:
    """The file in ExportChunk messages of at most 64 KiB; the last carries size and SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    offsets = list(range(0, len(data), CHUNK_BYTES)) or [0]
    for number, offset in enumerate(offsets):
        last = number == len(offsets) - 1
        yield common_pb2.ExportChunk(
            file_name=file_name if number == 0 else "",
            content_type=content_type if number == 0 else "",
            data=data[offset:offset + CHUNK_BYTES],
            offset=offset,
            last=last,
            sha256_hex=digest if last else "",
            total_bytes=len(data) if last else 0,
        )


def assemble(received: Iterator[common_pb2.ExportChunk]) -> tuple[str, bytes]:
    """Join streamed chunks back into (file name, bytes), checking order, size and SHA-256."""
    name = ""
    parts = []
    size = 0
    for chunk in received:
        if chunk.file_name:
            name = chunk.file_name
        if chunk.offset != size:
            raise ValueError(f"chunk at offset {chunk.offset}, expected {size}")
        parts.append(chunk.data)
        size += len(chunk.data)
        if chunk.last:
            data = b"".join(parts)
            if chunk.total_bytes != size or hashlib.sha256(data).hexdigest() != chunk.sha256_hex:
                raise ValueError("the export arrived damaged (size or SHA-256 differs)")
            return name, data
    raise ValueError("the export stream ended before its last chunk")
