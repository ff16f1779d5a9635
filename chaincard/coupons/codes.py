"""Coupon codes: ``9 RR NNNNNNNNNNNNN C`` (17 digits), digits only so any till keypad can type them.

``RR`` is the card prefix of the region where the coupon is homed (its card's home region), the 13
digits are random (``secrets``: a code cannot be guessed from another), and ``C`` is a Luhn check
digit that catches a mistyped digit and most swapped pairs before anything is looked up. Guessing is
also useless: a coupon is redeemed only with the card that holds it.
"""

from __future__ import annotations

import re
import secrets

from chaincard.errors import InvalidArgument
from chaincard.ids import is_ascii_digits, luhn_check_digit, luhn_is_valid

COUPON_PREFIX = "9"
_RANDOM_DIGITS = 13
_CODE = re.compile(r"^9\d{16}$")


def new_coupon_code(region_card_prefix: str) -> str:
    """A fresh code homed in the region whose card prefix is ``region_card_prefix`` (two digits)."""
    if not (len(region_card_prefix) == 2 and is_ascii_digits(region_card_prefix)):
        raise ValueError("a region's card prefix is two digits")
    # One draw of the whole number (uniform like a draw per digit, a 13th of the system calls: bulk
    # issues draw 100,000 codes).
    body = COUPON_PREFIX + region_card_prefix + f"{secrets.randbelow(10**_RANDOM_DIGITS):0{_RANDOM_DIGITS}d}"
    return body + luhn_check_digit(body)


def is_coupon_code(text: str) -> bool:
    return text.isascii() and bool(_CODE.match(text)) and luhn_is_valid(text)


def coupon_code(text: str, field: str = "coupon_code") -> str:
    """``text`` as a coupon code (spaces and dashes a cashier typed are dropped), else
    INVALID_ARGUMENT naming ``field``."""
    code = text.replace(" ", "").replace("-", "")
    if not code:
        raise InvalidArgument(field, "is required")
    if not is_coupon_code(code):
        raise InvalidArgument(field, "is not a coupon code (17 digits starting with 9, check digit last)")
    return code


def region_prefix_of_coupon(code: str) -> str:
    """The card prefix of the region where a (valid) coupon code is homed."""
    return code[1:3]
