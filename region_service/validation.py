"""Field checks of the region's handlers: each failure names the field (INVALID_ARGUMENT). The checks
every service shares (text, card numbers) are chaincard.validation's, re-exported here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TypeVar

from chaincard.errors import InvalidArgument
from chaincard.validation import MAX_TEXT, card_number, optional_text, require_text

__all__ = ["MAX_TEXT", "amount_fen", "card_number", "enum_choice", "optional_date", "optional_text", "require_text"]

EnumT = TypeVar("EnumT", bound=int)
ChoiceT = TypeVar("ChoiceT", bound=str)


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


def amount_fen(field: str, value: int, *, maximum: int) -> int:
    if value <= 0:
        raise InvalidArgument(field, "must be a positive number of fen")
    if value > maximum:
        raise InvalidArgument(field, f"must be at most {maximum} fen")
    return value


def enum_choice(field: str, value: EnumT, allowed: Mapping[EnumT, ChoiceT]) -> ChoiceT:
    """What ``allowed`` maps a proto enum value to; INVALID_ARGUMENT for a value not in it."""
    if value not in allowed:
        raise InvalidArgument(field, f"must be one of {', '.join(sorted(allowed.values()))}")
    return allowed[value]
