"""Field checks shared by every service's handlers: each failure names the field (INVALID_ARGUMENT)."""

from __future__ import annotations

from chaincard.errors import InvalidArgument
from chaincard.ids import is_ascii_digits, is_virtual_card_number

MAX_TEXT = 64


def require_text(field: str, value: str, *, max_length: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidArgument(field, "is required")
    if len(value) > max_length:
        raise InvalidArgument(field, f"must be at most {max_length} characters")
    if not value.isprintable():
        raise InvalidArgument(field, "must not contain control characters")
    return value


def optional_text(field: str, value: str, *, max_length: int = MAX_TEXT) -> str:
    return require_text(field, value, max_length=max_length) if (value or "").strip() else ""


def card_number(value: str, field: str = "card_number") -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidArgument(field, "is required")
    if not is_ascii_digits(value) or not 8 <= len(value) <= 32:
        raise InvalidArgument(field, "must be 8 to 32 digits")
    if value.startswith("88") and len(value) == 15 and not is_virtual_card_number(value):
        raise InvalidArgument(field, "check digit does not match (mistyped?)")
    return value
