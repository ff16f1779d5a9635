"""The store's copy mark and reprints (X2); layout and documents are chaincard.receipts', the OFFLINE mark
chaincard.checkout.receipt's."""

from __future__ import annotations

from chaincard.receipts import WIDTH_58MM, WIDTH_80MM, center, clip, render_document
from chaincard.v1 import common_pb2

COPY_MARK = "** COPY 重打 **"


def columns_for(paper_width: int) -> int:
    return WIDTH_58MM if paper_width == common_pb2.PAPER_WIDTH_58_MM else WIDTH_80MM


def reprint_document(document: str, width: int) -> list[str]:
    return render_document(document, width, extra_marks=[COPY_MARK])


def reprint_lines(lines: list[str], width: int) -> list[str]:
    """A copy of receipt lines already laid out (at 58 mm), when no document can be had."""
    body = [clip(line, width) for line in lines]
    return [*body[:1], center(COPY_MARK, width), *body[1:]]


def with_copy_mark(lines: list[str], width: int) -> list[str]:
    if any(COPY_MARK in line or "COPY" in line.upper() for line in lines[:3]):
        return lines
    return [*lines[:1], center(COPY_MARK, width), *lines[1:]]
