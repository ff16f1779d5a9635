"""Report rows as tables: the one layout shared by the CLI's screen output and the CSV/XLSX exports
(R3), so a file and the screen never disagree.

Money cells are ``Fen`` (an int of fen): shown as ¥1,234.56 on screen, written as 1234.56 to CSV
and as a number with two decimals to XLSX. Every other cell is an int or a str.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from chaincard.money import format_fen
from chaincard.v1 import common_pb2, reports_pb2


class Fen(int):
    """An amount in fen, to be shown in yuan."""

    def yuan(self) -> Decimal:
        return (Decimal(int(self)) / 100).quantize(Decimal("0.01"))


Cell = Fen | int | str


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)


# Tender types in column order (every report shows the same tender columns).
TENDER_COLUMNS = [
    common_pb2.TENDER_TYPE_STORED_VALUE,
    common_pb2.TENDER_TYPE_OTHER_MEMBER_CARD,
    common_pb2.TENDER_TYPE_CASH,
    common_pb2.TENDER_TYPE_BANK_CARD,
    common_pb2.TENDER_TYPE_MOBILE_PAY,
    common_pb2.TENDER_TYPE_COUNT_USES,
    common_pb2.TENDER_TYPE_INVOICE,  # companies' bulk recharges (C6)
]


def tender_label(tender_type: int) -> str:
    return common_pb2.TenderType.Name(tender_type).removeprefix("TENDER_TYPE_").lower()


# (header, field of ReportFigures, is money)
FIGURE_COLUMNS: list[tuple[str, str, bool]] = [
    ("sales", "sales_count", False),
    ("sales gross", "sales_gross_fen", True),
    ("discounts", "discount_fen", True),
    ("points as cash", "points_deduction_fen", True),
    ("sales net", "sales_net_fen", True),
    ("member spend principal", "stored_value_principal_spent_fen", True),
    ("member spend bonus", "stored_value_bonus_spent_fen", True),
    ("recharges", "recharge_count", False),
    ("recharged", "recharge_fen", True),
    ("recharge bonus", "recharge_bonus_fen", True),
    ("refunds", "refund_count", False),
    ("refunded", "refund_fen", True),
    ("voids", "void_count", False),
    ("voided", "void_fen", True),
    ("points earned", "points_earned", False),
    ("points redeemed", "points_redeemed", False),
    ("count uses", "count_uses_consumed", False),
    ("new members", "new_members", False),
    ("new cards", "new_cards", False),
    ("overdrawn", "overdrawn_count", False),
    ("offline sales", "offline_approval_count", False),
    ("offline value", "offline_approved_fen", True),
    ("overdrafts owed", "overdraft_fen", True),
    ("owed collected", "receivable_collected_fen", True),
    ("owed written off", "receivable_written_off_fen", True),
    ("coupon conflicts", "coupon_conflict_count", False),
    ("coupon conflict loss", "coupon_conflict_fen", True),
]
FIGURE_HEADERS = [header for header, _, _ in FIGURE_COLUMNS] + [f"paid {tender_label(t)}" for t in TENDER_COLUMNS]


def figure_cells(figures: reports_pb2.ReportFigures) -> list[Cell]:
    cells: list[Cell] = [Fen(getattr(figures, name)) if money else int(getattr(figures, name)) for _, name, money in FIGURE_COLUMNS]
    by_type = {tender.type: tender.amount_fen for tender in figures.tenders}
    cells += [Fen(by_type.get(tender_type, 0)) for tender_type in TENDER_COLUMNS]
    return cells


def daily_table(response: reports_pb2.GetStoreDailySummaryResponse) -> Table:
    """One store's day, one figure per row (what a store manager prints at closing)."""
    table = Table(f"Daily settlement {response.store_id} {response.business_date}", ["figure", "value"])
    for header, cell in zip(FIGURE_HEADERS, figure_cells(response.figures), strict=True):
        table.rows.append([header, cell])
    counts = {tender.type: tender.count for tender in response.figures.tenders}
    for tender_type in TENDER_COLUMNS:
        table.rows.append([f"payments {tender_label(tender_type)}", int(counts.get(tender_type, 0))])
    return table


def sales_table(rows: Iterable[reports_pb2.SalesReportRow], title: str = "Sales") -> Table:
    table = Table(title, ["period", "group", "name", *FIGURE_HEADERS])
    for row in rows:
        table.rows.append([row.period_label, row.group_key, row.group_name, *figure_cells(row.figures)])
    return table


NEW_MEMBER_HEADERS = ["period", "group", "name", "new members", "new cards"]


def new_members_table(rows: Iterable[reports_pb2.SalesReportRow]) -> Table:
    table = Table("New members", NEW_MEMBER_HEADERS)
    for row in rows:
        table.rows.append([row.period_label, row.group_key, row.group_name, int(row.figures.new_members), int(row.figures.new_cards)])
    return table


def top_members_table(rows: Iterable[reports_pb2.TopMemberRow]) -> Table:
    table = Table("Top members", ["rank", "member", "name", "phone", "home region", "level", "spend", "recharged",
                                  "visits", "points earned", "last visit"])
    for row in rows:
        table.rows.append([
            int(row.rank), row.member_id, row.name, row.phone_masked, row.home_region, row.level_code,
            Fen(row.spend_fen), Fen(row.recharge_fen), int(row.visit_count), int(row.points_earned), row.last_visit_business_date,
        ])
    return table


def liability_table(rows: Iterable[reports_pb2.LiabilityRow]) -> Table:
    table = Table("Prepaid liability", ["group", "name", "as of", "cards", "principal", "bonus", "stored value", "points",
                                        "count uses", "overdrawn cards", "overdrawn", "cards owing", "owed",
                                        "points owed", "points expiring 30 days", "points expiring 90 days"])
    for row in rows:
        table.rows.append([
            row.group_key, row.group_name, row.as_of_business_date, int(row.card_count), Fen(row.principal_fen),
            Fen(row.bonus_fen), Fen(row.principal_fen + row.bonus_fen), int(row.points), int(row.count_uses),
            int(row.overdrawn_card_count), Fen(row.overdrawn_fen), int(row.receivable_card_count), Fen(row.receivable_fen),
            int(row.points_receivable), int(row.points_expiring_30_days), int(row.points_expiring_90_days),
        ])
    return table


def coupon_table(rows: Iterable[reports_pb2.CouponReportRow]) -> Table:
    """Coupons per template and group (issue 13); the rate as a percentage with two decimals."""
    table = Table("Coupons", ["template", "group", "name", "issued", "redeemed", "discount given", "expired",
                              "issued and redeemed", "redemption rate %"])
    for row in rows:
        rate = row.redemption_rate_bp
        table.rows.append([
            row.template_code, row.group_key, row.group_name, int(row.issued_count), int(row.redeemed_count),
            Fen(row.redeemed_discount_fen), int(row.expired_count), int(row.issued_redeemed_count),
            f"{rate // 100}.{rate % 100:02d}",
        ])
    return table


def screen_text(cell: Cell) -> str:
    if isinstance(cell, Fen):
        return format_fen(int(cell))
    return str(cell)


def render_text(table: Table) -> str:
    """A plain fixed-width rendering for the terminal (wide tables wrap; export them to read them)."""
    texts = [[screen_text(cell) for cell in row] for row in table.rows]
    widths = [max([len(header), *(len(row[index]) for row in texts)]) for index, header in enumerate(table.headers)]
    lines = [table.title, "  ".join(header.ljust(width) for header, width in zip(table.headers, widths, strict=True))]
    for row, cells in zip(texts, table.rows, strict=True):
        lines.append("  ".join(
            text.rjust(width) if isinstance(cell, int) else text.ljust(width)
            for text, cell, width in zip(row, cells, widths, strict=True)
        ))
    if not table.rows:
        lines.append("(no rows)")
    return "\n".join(lines)
