"""Field checks shared by the region's handlers: each failure names the field (INVALID_ARGUMENT)."""

from __future__ import annotations

from datetime import date

from chaincard.errors import InvalidArgument
from chaincard.ids import is_virtual_card_number

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


def optional_date(field: str, value: str) -> date | None:
    if not value:
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError as error:
        raise InvalidArgument(field, "must be a date YYYY-MM-DD") from error
    if parsed > date.today() or parsed.year < 1900:
        raise InvalidArgument(field, "must be a real date in the past")
    return parsed


def card_number(value: str, field: str = "card_number") -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidArgument(field, "is required")
    if not value.isdigit() or not 8 <= len(value) <= 32:
        raise InvalidArgument(field, "must be 8 to 32 digits")
    if value.startswith("88") and len(value) == 15 and not is_virtual_card_number(value):
        raise InvalidArgument(field, "check digit does not match (mistyped?)")
    return value


def amount_fen(field: str, value: int, *, maximum: int) -> int:
    if value <= 0:
        raise InvalidArgument(field, "must be a positive number of fen")
    if value > maximum:
        raise InvalidArgument(field, f"must be at most {maximum} fen")
    return value


def enum_choice(field: str, value: int, allowed: dict[int, str]) -> str:
    if value not in allowed:
        raise InvalidArgument(field, f"must be one of {', '.join(sorted(allowed.values()))}")
    return allowed[value]
