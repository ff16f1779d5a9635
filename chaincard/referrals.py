"""Referral codes (M5, docs/adr/0044): ``TT RRRRRR``, eight characters a member reads out or types.

``TT`` names the referrer's home region (its two-digit card prefix written in two characters of the
alphabet below), so any region routes a code to the region that holds the referrer, as it routes a
virtual card number: no directory to ask and none that lags behind a fresh registration. The six
other characters are random (``secrets``); the home region keeps each code unique among its members,
and the region tag makes it unique chain-wide.

The alphabet leaves out 0/O, 1/I/L: nothing a cashier could misread. Lowercase, spaces and dashes
typed are accepted.
"""

from __future__ import annotations

import secrets

from chaincard.errors import InvalidArgument
from chaincard.ids import is_ascii_digits

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_BASE = len(ALPHABET)
_RANDOM_CHARACTERS = 6
CODE_LENGTH = 2 + _RANDOM_CHARACTERS


def _region_tag(region_card_prefix: str) -> str:
    if not (len(region_card_prefix) == 2 and is_ascii_digits(region_card_prefix)):
        raise ValueError("a region's card prefix is two digits")
    number = int(region_card_prefix)
    return ALPHABET[number // _BASE] + ALPHABET[number % _BASE]


def new_referral_code(region_card_prefix: str) -> str:
    """A fresh code for a member homed in the region whose card prefix is ``region_card_prefix``."""
    return _region_tag(region_card_prefix) + "".join(secrets.choice(ALPHABET) for _ in range(_RANDOM_CHARACTERS))


def referral_code(text: str, field: str = "referral_code") -> str:
    """``text`` as a referral code (uppercased, spaces and dashes dropped), else INVALID_ARGUMENT
    naming ``field``."""
    code = text.replace(" ", "").replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(character not in ALPHABET for character in code):
        raise InvalidArgument(field, f"is not a referral code ({CODE_LENGTH} characters of {ALPHABET})")
    if ALPHABET.index(code[0]) * _BASE + ALPHABET.index(code[1]) > 99:
        raise InvalidArgument(field, "names no region")
    return code


def region_prefix_of_referral_code(code: str) -> str:
    """The card prefix of the referrer's home region, from a (valid) code."""
    return f"{ALPHABET.index(code[0]) * _BASE + ALPHABET.index(code[1]):02d}"


def referral_points(spend_fen: int, basis_points: int) -> int:
    """The referrer's points for a referee's spend: floor(spend × bp / 10000), integers only."""
    return max(spend_fen, 0) * max(basis_points, 0) // 10_000
