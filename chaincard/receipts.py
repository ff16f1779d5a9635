"""Receipt text (X2): plain lines a 58 mm (32 columns) or 80 mm (48 columns) printer can print."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chaincard.money import format_fen

WIDTH_58MM = 32
WIDTH_80MM = 48


@dataclass(frozen=True)
class ReceiptItem:
    label: str
    value: str = ""


def amount_row(label: str, amount_fen: int) -> ReceiptItem:
    return ReceiptItem(label, format_fen(amount_fen))


def render(title: str, items: Iterable[ReceiptItem], width: int = WIDTH_58MM) -> list[str]:
    lines = [title.center(width).rstrip(), "-" * width]
    for item in items:
        if item.label == "-":
            lines.append("-" * width)
            continue
        space = width - len(item.label) - len(item.value)
        if not item.value:
            lines.append(item.label[:width])
        elif space >= 1:
            lines.append(item.label + " " * space + item.value)
        else:
            lines.extend([item.label[:width], item.value.rjust(width)])
    return lines
