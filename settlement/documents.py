"""Statement files (F3): CSV, XLSX and PDF, byte for byte the same every time one run's statement
is rendered — every timestamp inside comes from the run (``generated_at``), never from the clock.

- CSV: RFC 4180, UTF-8 with a byte-order mark, CRLF line ends.
- XLSX (openpyxl): workbook properties created/modified set to the run's time, and the zip entries'
  own timestamps rewritten to it too (openpyxl stamps them with the current time).
- PDF (reportlab): PDF/A-2b (settlement.pdfa: XMP metadata, sRGB output intent), so it reads the
  same in any reader for as long as statements are kept; invariant mode (no random document id),
  creation date set to the run's time. Every font is embedded (settlement.pdf_fonts): Latin text in
  Vera Sans (shipped with reportlab), Chinese names in Noto Sans SC (from a PyPI package), each
  reduced to the characters the statement shows. A character neither font has is drawn as "?".
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from chaincard.money import format_fen
from chaincard.v1 import settlement_pb2
from settlement import pdf_fonts
from settlement.pdfa import finish as finish_pdfa
from settlement.pdfa import make_pdfa
from settlement.rules import LINE_TITLES, LineFlow, MemoLine

if TYPE_CHECKING:  # the renderers import them when they run
    from openpyxl.worksheet.worksheet import Worksheet
    from reportlab.platypus import Flowable

CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FORMATS = tuple(CONTENT_TYPES)
LINE_HEADER = ["line", "flow", "counterparty", "counterparty_name", "store", "store_name", "original_business_date",
               "transactions", "gross_fen", "counterparty_fee_fen", "platform_fee_fen", "net_fen"]
COMPANY_HEADER = ["company", "invoiced_fen", "paid_fen", "outstanding_fen"]
MEMO_HEADER = ["item", "role", "counterparty", "store", "original_business_date", "transactions", "principal_fen",
               "bonus_fen", "points", "count_uses"]


@dataclass(frozen=True)
class StatementDocument:
    """Everything a statement file shows."""

    statement: settlement_pb2.Statement
    memo: list[MemoLine]
    run_id: str
    directory: dict[str, Any]  # SettlementRun.directory

    @property
    def generated_at(self) -> datetime:
        return self.statement.generated_at.ToDatetime(tzinfo=UTC)

    def franchisee_name(self, franchisee_id: str) -> str:
        return self.directory.get("franchisees", {}).get(franchisee_id, franchisee_id)

    def store_name(self, store_id: str) -> str:
        return self.directory.get("stores", {}).get(store_id, "")

    def period(self) -> str:
        zone = self.directory.get("time_zone", "Asia/Shanghai")
        cutoff = self.directory.get("cutoff", "04:00")
        hours, minutes = (int(part) for part in cutoff.split(":"))
        day = date.fromisoformat(self.statement.business_date)
        start = datetime.combine(day, time(hours, minutes), ZoneInfo(zone))
        end = start + timedelta(days=1)
        return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({zone})"

    def file_name(self, file_format: str) -> str:
        return f"{self.statement.statement_id}.{file_format}"


def flow_name(flow: int) -> str:
    return settlement_pb2.SettlementFlow.Name(flow).removeprefix("SETTLEMENT_FLOW_")


def _line_rows(document: StatementDocument) -> list[list[object]]:
    return [
        [line.line_number, flow_name(line.flow), line.counterparty_franchisee_id,
         document.franchisee_name(line.counterparty_franchisee_id), line.store_id, document.store_name(line.store_id),
         line.original_business_date, line.transaction_count, line.gross_fen, line.counterparty_fee_fen,
         line.platform_fee_fen, line.net_fen]
        for line in document.statement.lines
    ]


def _memo_rows(document: StatementDocument) -> list[list[object]]:
    return [
        [memo.item, memo.role, memo.counterparty_franchisee_id, memo.store_id,
         memo.original_business_date.isoformat() if memo.original_business_date else "", memo.transaction_count,
         memo.principal_fen, memo.bonus_fen, memo.points, memo.count_uses]
        for memo in document.memo
    ]


def _company_rows(statement: settlement_pb2.Statement) -> list[list[object]]:
    """The "company receivables" section (C6, docs/adr/0045): reported, not in the net. Files of a
    statement without companies show no section at all (they re-render byte for byte)."""
    return [[owed.company_id, owed.invoiced_fen, owed.paid_fen, owed.outstanding_fen]
            for owed in statement.company_receivables]


def _header_rows(document: StatementDocument) -> list[list[object]]:
    statement = document.statement
    return [
        ["statement_id", statement.statement_id],
        ["run_id", document.run_id],
        ["franchisee", statement.franchisee_id],
        ["franchisee_name", statement.franchisee_name],
        ["business_date", statement.business_date],
        ["period", document.period()],
        ["generated_at", document.generated_at.isoformat()],
        ["fee_schedule_from", statement.fee_schedule.effective_from_business_date],
        ["interchange_bp", statement.fee_schedule.interchange_bp],
        ["collection_fee_bp", statement.fee_schedule.collection_fee_bp],
        ["platform_fee_bp", statement.fee_schedule.platform_fee_bp],
        # Only when set: statements of schedules without it re-render byte for byte.
        *([["coupon_fee_bp", statement.fee_schedule.coupon_fee_bp]] if statement.fee_schedule.coupon_fee_bp else []),
        *([["count_use_fee_bp", statement.fee_schedule.count_use_fee_bp]] if statement.fee_schedule.count_use_fee_bp else []),
        ["content_sha256", statement.content_sha256_hex],
    ]


def _total_rows(statement: settlement_pb2.Statement) -> list[list[object]]:
    return [
        ["receivable_fen", statement.receivable_fen],
        ["payable_fen", statement.payable_fen],
        ["platform_fees_fen", statement.fees_fen],
        ["net_fen", statement.net_fen],
    ]


# ---- CSV -------------------------------------------------------------------------------------------
def render_csv(document: StatementDocument) -> bytes:
    """Sections separated by a blank row: header fields, lines, totals, company receivables (when
    there are any), reported-only memo."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_header_rows(document))
    writer.writerow([])
    writer.writerow(LINE_HEADER)
    writer.writerows(_line_rows(document))
    writer.writerow([])
    writer.writerows(_total_rows(document.statement))
    writer.writerow([])
    companies = _company_rows(document.statement)
    if companies:
        writer.writerow(["company_receivables", *COMPANY_HEADER])
        writer.writerows([["company", *row] for row in companies])
        writer.writerow([])
    writer.writerow(["reported_not_settled", *MEMO_HEADER])
    writer.writerows([["memo", *row] for row in _memo_rows(document)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# ---- XLSX ------------------------------------------------------------------------------------------
def render_xlsx(document: StatementDocument) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    statement = document.statement
    generated = document.generated_at.replace(tzinfo=None)  # openpyxl writes naive times as UTC
    workbook = Workbook()
    workbook.properties.creator = "ChainCard settlement"
    workbook.properties.title = f"Statement {statement.statement_id}"
    workbook.properties.created = generated
    workbook.properties.modified = generated
    workbook.properties.lastModifiedBy = "ChainCard settlement"
    bold = Font(bold=True)

    sheet = cast("Worksheet", workbook.active)  # a new workbook's one sheet
    sheet.title = "Statement"
    for row in _header_rows(document):
        sheet.append(row)
    sheet.append([])
    sheet.append(LINE_HEADER)
    for cell in sheet[sheet.max_row]:
        cell.font = bold
    for row in _line_rows(document):
        sheet.append(row)
    sheet.append([])
    for row in _total_rows(statement):
        sheet.append(row)
        sheet.cell(sheet.max_row, 1).font = bold
    for column, width in zip("ABCDEFGHIJKL", (14, 20, 14, 28, 10, 22, 14, 12, 14, 14, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width

    companies = _company_rows(statement)
    if companies:
        owed = workbook.create_sheet("Company receivables")
        owed.append(COMPANY_HEADER)
        for cell in owed[1]:
            cell.font = bold
        for row in companies:
            owed.append(row)

    memo = workbook.create_sheet("Reported, not settled")
    memo.append(MEMO_HEADER)
    for cell in memo[1]:
        cell.font = bold
    for row in _memo_rows(document):
        memo.append(row)

    # Not workbook.save(): it stamps properties.modified with the current time.
    from openpyxl.writer.excel import ExcelWriter

    raw = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()
    return _fixed_zip_times(raw.getvalue(), document.generated_at)


def _fixed_zip_times(archive: bytes, moment: datetime) -> bytes:
    """The same archive with every entry stamped ``moment`` (UTC), in the same order."""
    stamp = moment.astimezone(UTC).timetuple()[:6]
    source = zipfile.ZipFile(io.BytesIO(archive))
    target_buffer = io.BytesIO()
    with zipfile.ZipFile(target_buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            fixed.create_system = 0
            target.writestr(fixed, source.read(info.filename))
    return target_buffer.getvalue()


# ---- PDF -------------------------------------------------------------------------------------------
_ROWS_PER_TABLE = 40


@dataclass(frozen=True)
class _Fonts:
    """One document's fonts: the Latin one, and the CJK one holding the characters it shows."""

    latin: frozenset[str]
    cjk_characters: frozenset[str]

    def markup(self, text: str, size: float = 8.0, bold: bool = False) -> str:
        """Reportlab paragraph markup: each run of text in the font that has its characters."""
        from itertools import groupby
        from xml.sax.saxutils import escape

        latin = pdf_fonts.LATIN_BOLD if bold else pdf_fonts.LATIN
        runs = []
        for cjk, chars in groupby(text, key=lambda char: char not in self.latin and char in self.cjk_characters):
            run = "".join(chars)
            face, run = (pdf_fonts.CJK, run) if cjk else (latin, self.plain(run))
            runs.append(f'<font face="{face}" size="{size}">{escape(run)}</font>')
        return "".join(runs)

    def plain(self, text: str) -> str:
        """``text`` for the Latin font alone: "?" for a character it lacks (rather than an empty box,
        which PDF/A forbids drawing)."""
        return "".join(char if char in self.latin else "?" for char in text)


def render_pdf(document: StatementDocument) -> bytes:
    statement = document.statement
    parties = sorted({line.counterparty_franchisee_id for line in statement.lines}
                     | {memo.counterparty_franchisee_id for memo in document.memo})
    stores = sorted({line.store_id for line in statement.lines} | {memo.store_id for memo in document.memo})
    # Only names can hold Chinese: the CJK font is made of theirs.
    names = [statement.franchisee_name, *map(document.franchisee_name, parties), *map(document.store_name, stores)]
    with pdf_fonts.cjk_font("".join(names)) as cjk_characters:
        return finish_pdfa(_pdf(document, _Fonts(pdf_fonts.latin_characters(), cjk_characters), parties, stores))


def _pdf(document: StatementDocument, fonts: _Fonts, parties: list[str], stores: list[str]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    statement = document.statement
    generated = document.generated_at
    style = ParagraphStyle("cell", fontName=pdf_fonts.LATIN, fontSize=8, leading=10)
    title_style = ParagraphStyle("title", fontName=pdf_fonts.LATIN_BOLD, fontSize=15, leading=19)

    # Tables draw even paragraph cells with their cell font set (reportlab's default: Helvetica).
    latin_cells = ("FONT", (0, 0), (-1, -1), pdf_fonts.LATIN, 8)

    def para(text: str, size: float = 8.0, bold: bool = False) -> Paragraph:
        return Paragraph(fonts.markup(text, size, bold), style)

    story: list[Flowable] = [
        Paragraph(fonts.markup("Franchise settlement statement", 15, True), title_style),
        Paragraph(fonts.markup(f"{statement.franchisee_name}  ({statement.franchisee_id})", 11, False), style),
        Spacer(1, 3 * mm),
    ]
    schedule = statement.fee_schedule
    facts = [
        ["Statement", statement.statement_id, "Business day", statement.business_date],
        ["Run", document.run_id, "Period", document.period()],
        ["Generated", generated.strftime("%Y-%m-%d %H:%M:%S UTC"), "Fee schedule",
         f"from {schedule.effective_from_business_date}: interchange {schedule.interchange_bp} bp, "
         f"collection {schedule.collection_fee_bp} bp, platform {schedule.platform_fee_bp} bp"
         + (f", coupon {schedule.coupon_fee_bp} bp" if schedule.coupon_fee_bp else "")
         + (f", count uses {schedule.count_use_fee_bp} bp" if schedule.count_use_fee_bp else "")],
    ]
    fact_table = Table([[para(str(cell), bold=index % 2 == 0) for index, cell in enumerate(row)] for row in facts],
                       colWidths=[22 * mm, 70 * mm, 28 * mm, 147 * mm])
    fact_table.setStyle(TableStyle([latin_cells, ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    story += [fact_table, Spacer(1, 4 * mm)]

    net = statement.net_fen
    verdict = ("HQ pays you" if net > 0 else "You pay HQ" if net < 0 else "Nothing to pay") + f"  {format_fen(abs(net))}"
    summary = [
        ["Receivable", format_fen(statement.receivable_fen), "Payable", format_fen(statement.payable_fen),
         "Platform fees charged", format_fen(statement.fees_fen), "NET", format_fen(net)],
    ]
    summary_table = Table([[para(cell, 10, index % 2 == 0) for index, cell in enumerate(summary[0])]],
                          colWidths=[28 * mm, 30 * mm, 22 * mm, 30 * mm, 56 * mm, 26 * mm, 16 * mm, 40 * mm])
    summary_table.setStyle(TableStyle([latin_cells, ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                                       ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F2F2F2"))]))
    story += [summary_table, Spacer(1, 1 * mm), para(verdict, 11, True), Spacer(1, 4 * mm)]

    # Big tables hold plain strings in the Latin font (fast to lay out: a statement can have thousands
    # of lines); names, which may be Chinese, are in the small legend after them.
    header = ["#", "Flow", "Counterparty", "Store", "Orig. day", "Txns", "Gross", "Int./coll. fee", "Platform fee", "Net"]
    rows: list[list[str]] = [header]
    for line in statement.lines:
        rows.append([
            str(line.line_number), LINE_TITLES[LineFlow(line.flow)], fonts.plain(line.counterparty_franchisee_id),
            fonts.plain(line.store_id),
            line.original_business_date, str(line.transaction_count), format_fen(line.gross_fen),
            format_fen(line.counterparty_fee_fen), format_fen(line.platform_fee_fen), format_fen(line.net_fen),
        ])
    rows.append(["", "Net of all lines", "", "", "", str(sum(line.transaction_count for line in statement.lines)), "", "", "",
                 format_fen(net)])
    widths = [12 * mm, 64 * mm, 26 * mm, 24 * mm, 22 * mm, 16 * mm, 28 * mm, 26 * mm, 24 * mm, 25 * mm]
    common: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), pdf_fonts.LATIN, 8),
        ("FONT", (0, 0), (-1, 0), pdf_fonts.LATIN_BOLD, 8),
        ("ALIGN", (5, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    story += [para("Lines", 11, True), Spacer(1, 1 * mm)]
    body = rows[1:]
    # Tables of a page or so each: reportlab splits one long table at quadratic cost.
    for start in range(0, len(body), _ROWS_PER_TABLE):
        chunk = body[start:start + _ROWS_PER_TABLE]
        final = start + _ROWS_PER_TABLE >= len(body)
        chunk_style = [*common, ("ROWBACKGROUNDS", (0, 1), (-1, -2 if final else -1), [colors.white, colors.HexColor("#F7F7F7")])]
        if final:
            chunk_style += [("FONT", (0, -1), (-1, -1), pdf_fonts.LATIN_BOLD, 8), ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)]
        table = Table([header, *chunk], colWidths=widths)
        table.setStyle(TableStyle(chunk_style))
        story.append(table)

    legend = [[para(party, bold=True), para(document.franchisee_name(party))] for party in parties]
    legend += [[para(store, bold=True), para(document.store_name(store))] for store in stores]
    if legend:
        legend_table = Table(legend, colWidths=[30 * mm, 120 * mm], hAlign="LEFT")
        legend_table.setStyle(TableStyle([latin_cells, ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]))
        story += [Spacer(1, 4 * mm), para("Counterparties and stores", 11, True), Spacer(1, 1 * mm), legend_table]

    if statement.company_receivables:
        owed_rows = [["Company", "Invoiced today", "Paid today", "Outstanding"]]
        owed_rows += [[fonts.plain(owed.company_id), format_fen(owed.invoiced_fen), format_fen(owed.paid_fen),
                       format_fen(owed.outstanding_fen)] for owed in statement.company_receivables]
        owed_table = Table(owed_rows, repeatRows=1, hAlign="LEFT")
        owed_table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), pdf_fonts.LATIN, 8), ("FONT", (0, 0), (-1, 0), pdf_fonts.LATIN_BOLD, 8),
            ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]))
        story += [Spacer(1, 5 * mm), para("Company receivables (invoiced cards; not part of the net above)", 11, True),
                  Spacer(1, 1 * mm), owed_table]

    if document.memo:
        memo_rows: list[list[object]] = [["Item", "Role", "Counterparty", "Store", "Orig. day", "Txns", "Principal", "Bonus",
                                          "Points", "Count uses"]]
        for memo in document.memo:
            memo_rows.append([memo.item, memo.role.lower(), fonts.plain(memo.counterparty_franchisee_id), fonts.plain(memo.store_id),
                              memo.original_business_date.isoformat() if memo.original_business_date else "",
                              str(memo.transaction_count), format_fen(memo.principal_fen), format_fen(memo.bonus_fen),
                              str(memo.points), str(memo.count_uses)])
        memo_table = Table(memo_rows, repeatRows=1, hAlign="LEFT")
        memo_table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), pdf_fonts.LATIN, 8), ("FONT", (0, 0), (-1, 0), pdf_fonts.LATIN_BOLD, 8),
            ("ALIGN", (5, 0), (-1, -1), "RIGHT"), ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
        ]))
        story += [Spacer(1, 5 * mm), para("Reported, not settled (the fee schedule prices none of these)", 11, True),
                  Spacer(1, 1 * mm), memo_table]
    story += [Spacer(1, 5 * mm), para(f"Statement content SHA-256 {statement.content_sha256_hex}"),
              para("Positive amounts are owed to you, negative amounts you owe; HQ is the central counterparty and "
                   "settles the net figure. Fees are rounded half-up to the fen once per flow.")]

    footer = fonts.plain(f"{statement.statement_id} - run {document.run_id}")

    class NumberedCanvas(Canvas):
        """Writes 'page N of M' once every page is known."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:  # whatever reportlab's doc template passes on
            kwargs["invariant"] = 1
            kwargs["initialFontName"] = pdf_fonts.LATIN  # not Helvetica, which would be named and not embedded
            super().__init__(*args, **kwargs)
            _stamp(self, generated)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # reportlab's own, not in its stubs

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(pdf_fonts.LATIN, 7)
                self.drawString(15 * mm, 8 * mm, footer)
                self.drawRightString(landscape(A4)[0] - 15 * mm, 8 * mm, f"page {self._pageNumber} of {total}")  # type: ignore[attr-defined]  # reportlab's own, not in its stubs
                Canvas.showPage(self)
            make_pdfa(self._doc, generated)  # type: ignore[attr-defined]  # reportlab's own, not in its stubs
            Canvas.save(self)

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm, bottomMargin=15 * mm,
        title=f"Statement {statement.statement_id}", author="ChainCard settlement", subject=f"Run {document.run_id}",
        creator="ChainCard settlement", invariant=1,
    )
    pdf.build(story, canvasmaker=NumberedCanvas)
    return buffer.getvalue()


def _stamp(canvas: object, moment: datetime) -> None:
    """The PDF's creation and modification dates: the run's time, in UTC."""
    stamp = canvas._doc._timeStamp  # type: ignore[attr-defined]  # reportlab has no public setter
    moment = moment.astimezone(UTC)
    stamp.t = moment.timestamp()
    stamp.lt = moment.timetuple()
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = stamp.dmm = 0
    stamp.tzname = "UTC"


RENDERERS = {"csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf}


def render(document: StatementDocument, file_format: str) -> bytes:
    return RENDERERS[file_format](document)
