"""QR member codes (C2, M2): short-lived, single-use codes a member shows instead of a card number.

A code is 39 digits, ``7 CCCCCCCCCCCCCCC TTTTTTTTTTTTT MMMMMMMMMM`` (docs/adr/0026):

- ``7`` marks a member code (card numbers are 8 to 32 digits, so a 39-digit text is never one);
- the 15-digit virtual card number, so any store routes the code to the card's home region by the
  card's region prefix, as it routes the card number;
- the moment it was issued, in Unix milliseconds (13 digits: two codes of a card never coincide);
- a 10-digit MAC: HMAC-SHA256 under the card's own key of the card number and the moment.

The card's key is derived from its home region's secret (``member_code_key``) and the card number,
so a store agent may cache the key of each cached card to verify codes offline without holding the
region's secret. Digits only: QR's numeric mode keeps the image small, and a keypad can type it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import is_virtual_card_number

MEMBER_CODE_PREFIX = "7"
# How long a code is accepted after it is issued, and how far ahead of a verifier's clock an issuing
# clock may run (regions and stores keep NTP time; a few seconds is generous).
VALID_SECONDS = 60
CLOCK_SKEW_SECONDS = 5
_MAC_DIGITS = 10
_CODE = re.compile(r"^7(\d{15})(\d{13})(\d{10})$")


@dataclass(frozen=True)
class MemberCode:
    """A code read from its text, not yet verified."""

    text: str
    card_number: str
    issued_at: int  # Unix milliseconds
    mac: str


def card_key(region_secret: str, card_number: str) -> bytes:
    """The card's own key: what a store agent caches to verify the card's codes offline."""
    return hmac.new(region_secret.encode(), f"member-code/v1/{card_number}".encode(), hashlib.sha256).digest()


def _mac(key: bytes, card_number: str, issued_at: int) -> str:
    digest = hmac.new(key, f"{card_number}:{issued_at}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**_MAC_DIGITS:0{_MAC_DIGITS}d}"


def issue(key: bytes, card_number: str, now: datetime) -> tuple[str, datetime]:
    """A fresh code for ``card_number`` (a virtual card) and the moment it stops working."""
    if not is_virtual_card_number(card_number):
        raise FailedPrecondition("QR member codes are issued for virtual cards only")
    issued_at = int(now.timestamp() * 1000)
    code = f"{MEMBER_CODE_PREFIX}{card_number}{issued_at:013d}{_mac(key, card_number, issued_at)}"
    return code, datetime.fromtimestamp(issued_at / 1000 + VALID_SECONDS, UTC)


def is_member_code(text: str) -> bool:
    """Whether ``text`` has the shape of a member code (says nothing of its MAC or age)."""
    return text.isascii() and bool(_CODE.match(text.strip()))


def parse(text: str, field: str = "card_number") -> MemberCode:
    match = _CODE.match(text.strip()) if text.isascii() else None
    if match is None or not is_virtual_card_number(match.group(1)):
        raise InvalidArgument(field, "is not a valid member code")
    return MemberCode(text.strip(), match.group(1), int(match.group(2)), match.group(3))


def card_number_of(text: str) -> str:
    """The card a code names, unverified (for routing and queue ordering only); ``text`` itself when
    it is not a member code."""
    return parse(text).card_number if is_member_code(text) else text


def card_number_of_shape(text: str) -> str:
    """The card digits of anything shaped like a code, checked or not (a rate limiter's key);
    ``text`` itself otherwise. Never raises."""
    match = _CODE.match(text.strip()) if text.isascii() else None
    return match.group(1) if match else text


def verify(code: MemberCode, key: bytes, now: datetime, field: str = "card_number") -> None:
    """Refuse a forged code (INVALID_ARGUMENT naming ``field``) or a stale one (FAILED_PRECONDITION).
    Whether it was already used is the caller's to check, where it records uses."""
    if not hmac.compare_digest(code.mac, _mac(key, code.card_number, code.issued_at)):
        raise InvalidArgument(field, "member code is not valid (forged or mistyped)")
    age = now.timestamp() - code.issued_at / 1000
    if age > VALID_SECONDS:
        raise FailedPrecondition("member code expired; show a fresh one")
    if age < -CLOCK_SKEW_SECONDS:
        raise FailedPrecondition("member code is not valid yet (clock ahead?); show a fresh one")
