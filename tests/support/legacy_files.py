"""Legacy export files for the import tests: N rows of cards with their holders and balances in the
demo chain's stores and card types, some of them bad in ten known ways (chaincard.imports)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

HEADERS = ["会员姓名", "手机号", "卡号", "卡类型", "本金余额", "赠送余额", "积分", "开卡门店", "生日", "性别"]
STORES = ["S-E-001", "S-E-002", "S-W-001", "S-W-002"]
COUNT_TYPE = "COUNT"  # holds no stored value

# kind -> (column the report must name, how to spoil a good row)
BAD_KINDS: dict[str, str] = {
    "phone": "手机号", "card_number": "卡号", "card_type": "卡类型", "principal_decimals": "本金余额",
    "bonus_negative": "赠送余额", "points": "积分", "store": "开卡门店", "name": "会员姓名",
    "duplicate_card": "卡号", "birthday": "生日",
}


@dataclass(frozen=True)
class LegacyFile:
    rows: list[list[str]]  # without the header
    bad_rows: dict[int, str]  # spreadsheet row number (header = 1) -> the header of the bad column
    principal_fen: int  # the good rows' totals
    bonus_fen: int
    points: int

    def csv_bytes(self, encoding: str = "utf-8") -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(HEADERS)
        writer.writerows(self.rows)
        return buffer.getvalue().encode(encoding)

    @property
    def good_rows(self) -> int:
        return len(self.rows) - len(self.bad_rows)


def _good(index: int, phone_base: int, card_base: int) -> list[str]:
    fen = 1000 + index * 7 % 100_000
    return [f"会员{index}", str(phone_base + index), str(card_base + index), "SV" if index % 3 else "GOLD",
            f"{fen // 100}.{fen % 100:02d}", f"{index % 50}.{index % 10}0" if index % 4 else "", str(index % 1000),
            STORES[index % len(STORES)], "1990-01-02" if index % 5 == 0 else "", "女" if index % 2 else "男"]


def _spoil(row: list[str], kind: str, duplicate_of: str) -> None:
    if kind == "phone":
        row[1] = "1234567"
    elif kind == "card_number":
        row[2] = "12AB34"
    elif kind == "card_type":
        row[3] = "PLATINUM-NOPE"
    elif kind == "principal_decimals":
        row[4] = "12.345"
    elif kind == "bonus_negative":
        row[5] = "-5.00"
    elif kind == "points":
        row[6] = "12.5"
    elif kind == "store":
        row[7] = "S-X-404"
    elif kind == "name":
        row[0] = ""
    elif kind == "duplicate_card":
        row[2] = duplicate_of
    elif kind == "birthday":
        row[8] = "1990-13-45"


def legacy_file(count: int, bad: int = 0, *, phone_base: int = 13_800_000_000, card_base: int = 6_200_000_000_000) -> LegacyFile:
    """``count`` rows, ``bad`` of them (spread evenly) each spoiled in one of the ten ways in turn."""
    kinds = list(BAD_KINDS)
    step = count // bad if bad else 0
    bad_at = {1 + step * k: kinds[k % len(kinds)] for k in range(bad)}  # never row index 0 (a duplicate needs an earlier card)
    rows: list[list[str]] = []
    bad_rows: dict[int, str] = {}
    totals = [0, 0, 0]
    for index in range(count):
        row = _good(index, phone_base, card_base)
        kind = bad_at.get(index)
        if kind is not None:
            _spoil(row, kind, duplicate_of=rows[0][2])
            bad_rows[index + 2] = BAD_KINDS[kind]
        else:
            totals[0] += _fen(row[4])
            totals[1] += _fen(row[5])
            totals[2] += int(row[6])
        rows.append(row)
    return LegacyFile(rows=rows, bad_rows=bad_rows, principal_fen=totals[0], bonus_fen=totals[1], points=totals[2])


def _fen(text: str) -> int:
    if not text:
        return 0
    whole, _, decimals = text.partition(".")
    return int(whole) * 100 + int((decimals + "00")[:2])
