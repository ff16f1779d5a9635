"""Receipt text (X2): lines a 58 mm (32 columns) or 80 mm (48 columns) printer can print, where a CJK
character takes two columns. A receipt is kept as a layout-free document (a title, marks and
label/value rows) so it can be printed again at either width, by the region or by a store agent."""

from __future__ import annotations

import json
import unicodedata
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


def display_width(text: str) -> int:
    """Columns ``text`` takes on a receipt printer: wide (CJK) characters take two."""
    if text.isascii():  # most receipt lines: skip the per-character Unicode look-up
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def clip(text: str, width: int) -> str:
    """The longest prefix of ``text`` that fits ``width`` columns."""
    used = 0
    for index, char in enumerate(text):
        used += display_width(char)
        if used > width:
            return text[:index]
    return text


def center(text: str, width: int) -> str:
    text = clip(text, width)
    return (" " * ((width - display_width(text)) // 2) + text).rstrip()


def render(title: str, items: Iterable[ReceiptItem], width: int = WIDTH_58MM, *, marks: Iterable[str] = ()) -> list[str]:
    """The receipt's lines for a printer ``width`` columns wide; ``marks`` are centred under the title."""
    lines = [center(title, width), *(center(mark, width) for mark in marks), "-" * width]
    for item in items:
        if item.label == "-":
            lines.append("-" * width)
            continue
        if not item.value:
            lines.append(clip(item.label, width))
            continue
        space = width - display_width(item.label) - display_width(item.value)
        if space >= 1:
            lines.append(item.label + " " * space + item.value)
        else:
            value = clip(item.value, width)
            lines.extend([clip(item.label, width), " " * (width - display_width(value)) + value])
    return lines


def to_document(title: str, items: Iterable[ReceiptItem], marks: Iterable[str] = ()) -> str:
    return json.dumps(
        {"title": title, "marks": list(marks), "items": [[item.label, item.value] for item in items]}, ensure_ascii=False
    )


def from_document(document: str | bytes) -> tuple[str, list[ReceiptItem], list[str]]:
    stored = json.loads(document)
    return stored["title"], [ReceiptItem(label, value) for label, value in stored["items"]], stored.get("marks", [])


def render_document(document: str | bytes, width: int, *, extra_marks: Iterable[str] = ()) -> list[str]:
    title, items, marks = from_document(document)
    return render(title, items, width, marks=[*marks, *extra_marks])
