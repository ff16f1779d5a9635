"""Receipt layout for the store's printers (X2): 58 mm rolls take 32 columns, 80 mm rolls 48, and a
CJK character takes two columns. A receipt is kept as a layout-free document (a title and
label/value rows) so it can be printed again at either width."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable

from chaincard.receipts import WIDTH_58MM, WIDTH_80MM, ReceiptItem
from chaincard.v1 import common_pb2

COPY_MARK = "** COPY 重打 **"
OFFLINE_MARK = "** OFFLINE 离线 **"


def columns_for(paper_width: int) -> int:
    return WIDTH_58MM if paper_width == common_pb2.PAPER_WIDTH_58_MM else WIDTH_80MM


def display_width(text: str) -> int:
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


def layout(title: str, items: Iterable[ReceiptItem], width: int, *, marks: Iterable[str] = ()) -> list[str]:
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


def from_document(document: str) -> tuple[str, list[ReceiptItem], list[str]]:
    stored = json.loads(document)
    return stored["title"], [ReceiptItem(label, value) for label, value in stored["items"]], stored.get("marks", [])


def reprint_document(document: str, width: int) -> list[str]:
    title, items, marks = from_document(document)
    return layout(title, items, width, marks=[*marks, COPY_MARK])


def reprint_lines(lines: list[str], width: int) -> list[str]:
    """A copy of receipt lines already laid out (at 58 mm), when no document can be had."""
    body = [clip(line, width) for line in lines]
    return [*body[:1], center(COPY_MARK, width), *body[1:]]


def with_copy_mark(lines: list[str], width: int) -> list[str]:
    if any(COPY_MARK in line or "COPY" in line.upper() for line in lines[:3]):
        return lines
    return [*lines[:1], center(COPY_MARK, width), *lines[1:]]
