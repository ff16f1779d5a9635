"""Identifiers: time-ordered ids for rows and events, and card numbers that carry their home region.

Card numbers are ``88 RR NNNNNNNNNN C`` (15 digits): the chain prefix 88, the two-digit card prefix
of the home region, a ten-digit serial and a Luhn check digit.
"""

from __future__ import annotations

import re

import uuid6

CHAIN_PREFIX = "88"
_CARD_NUMBER = re.compile(r"^88\d{13}$")


def new_id() -> str:
    """A UUIDv7 as text: unique without coordination, and roughly time-ordered for index locality."""
    return str(uuid6.uuid7())


def luhn_check_digit(digits: str) -> str:
    """The digit that makes ``digits + check`` pass the Luhn test."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:  # these positions are doubled once the check digit is appended
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty run of 0-9 only: str.isdigit also takes full-width "１２" and "²",
    which a till's input method can produce and which must never become a card number or a key."""
    return text.isascii() and text.isdigit()


def luhn_is_valid(number: str) -> bool:
    return is_ascii_digits(number) and len(number) >= 2 and luhn_check_digit(number[:-1]) == number[-1]


def make_card_number(region_card_prefix: str, serial: int) -> str:
    if not (len(region_card_prefix) == 2 and is_ascii_digits(region_card_prefix)):
        raise ValueError("a region's card prefix is two digits")
    if not 0 <= serial < 10**10:
        raise ValueError("card serial out of range")
    body = f"{CHAIN_PREFIX}{region_card_prefix}{serial:010d}"
    return body + luhn_check_digit(body)


def is_virtual_card_number(number: str) -> bool:
    return bool(_CARD_NUMBER.match(number)) and luhn_is_valid(number)


def region_prefix_of(card_number: str) -> str | None:
    """The home region's card prefix of a virtual card number, or None for any other number."""
    return card_number[2:4] if is_virtual_card_number(card_number) else None
