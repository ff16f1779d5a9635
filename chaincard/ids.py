"""Identifiers: time-ordered ids for rows and events, and card numbers that carry their home region.

Card numbers are ``88 RR NNNNNNNNNN C`` (15 digits): the chain prefix 88, the two-digit card prefix
of the home region, a ten-digit serial and a Luhn check digit.
"""

from __future__ import annotations

import os
import re
import threading
import time
from uuid import UUID

CHAIN_PREFIX = "88"
_CARD_NUMBER = re.compile(r"^88\d{13}$")


# Random bits for ids are read from the OS this many bytes at a time. One os.urandom per id (as
# uuid6.uuid7 does through secrets) releases the GIL on every call; in a busy multi-threaded server
# each release can wait out another thread's switch interval, and an import chunk (some 30 ids a
# row) spent over a third of its time there (docs/adr/0040-import.md).
_POOL_BYTES = 4096
_RANDOM_BYTES = 10  # 76 bits used, as uuid6.uuid7's secrets.randbits(76)
_lock = threading.Lock()
_pool = b""
_used = 0
_last_ms = 0


def new_id() -> str:
    """A UUIDv7 as text: unique without coordination, and roughly time-ordered for index locality.
    As uuid6.uuid7: the Unix milliseconds, moved on by one when not past the last id's (so ids of
    one process increase), then 76 random bits from the OS."""
    global _pool, _used, _last_ms
    with _lock:
        if _used + _RANDOM_BYTES > len(_pool):
            _pool, _used = os.urandom(_POOL_BYTES), 0
        random_bits = int.from_bytes(_pool[_used:_used + _RANDOM_BYTES]) >> 4
        _used += _RANDOM_BYTES
        timestamp_ms = time.time_ns() // 1_000_000
        if timestamp_ms <= _last_ms:
            timestamp_ms = _last_ms + 1
        _last_ms = timestamp_ms
    value = (timestamp_ms & 0xFFFF_FFFF_FFFF) << 80 | random_bits
    value = value & ~(0xF000 << 64) | 7 << 76  # version 7
    value = value & ~(0xC000 << 48) | 0x8000 << 48  # RFC 4122 variant
    return str(UUID(int=value))


def _forget_pool() -> None:
    """A forked child must not hand out the parent's remaining random bytes again."""
    global _pool, _used
    _pool, _used = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


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
