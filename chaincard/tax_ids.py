"""Unified social credit codes (统一社会信用代码, GB 32100-2015): the tax id of a company account (C6).

Checked by form and by check character only: whether the code is registered to the named company is
the franchisee's business when it signs the company up, not something the chain can verify."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18


def check_character(first_17: str) -> str:
    """The 18th character of a code starting with ``first_17`` (each in :data:`ALPHABET`)."""
    total = sum(ALPHABET.index(char) * weight for char, weight in zip(first_17, _WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_tax_id(code: str) -> bool:
    """Whether ``code`` is 18 characters of :data:`ALPHABET` ending in its check character."""
    if len(code) != LENGTH or any(char not in ALPHABET for char in code):
        return False
    return check_character(code[:17]) == code[17]
