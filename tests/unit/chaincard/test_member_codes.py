"""QR member codes (docs/adr/0026): their shape, their MAC and their minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chaincard import member_codes
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.ids import make_card_number

CARD = make_card_number("11", 42)
KEY = member_codes.card_key("region-secret", CARD)
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def test_a_code_is_36_digits_naming_its_card_and_verifies_within_its_minute() -> None:
    code, expires_at = member_codes.issue(KEY, CARD, NOW)
    assert len(code) == 39 and code.isdigit() and code.startswith("7")
    assert expires_at == NOW + timedelta(seconds=member_codes.VALID_SECONDS)
    assert member_codes.is_member_code(code) and not member_codes.is_member_code(CARD)
    assert member_codes.card_number_of(code) == CARD and member_codes.card_number_of(CARD) == CARD
    assert member_codes.card_number_of_shape(code) == CARD and member_codes.card_number_of_shape("x") == "x"
    parsed = member_codes.parse(code)
    member_codes.verify(parsed, KEY, NOW + timedelta(seconds=59))


def test_an_expired_code_and_one_from_the_future_are_failed_preconditions() -> None:
    parsed = member_codes.parse(member_codes.issue(KEY, CARD, NOW)[0])
    with pytest.raises(FailedPrecondition, match="expired"):
        member_codes.verify(parsed, KEY, NOW + timedelta(seconds=61))
    with pytest.raises(FailedPrecondition, match="not valid yet"):
        member_codes.verify(parsed, KEY, NOW - timedelta(seconds=6))


def test_a_forged_code_is_invalid_argument_naming_the_field() -> None:
    code = member_codes.issue(KEY, CARD, NOW)[0]
    other_card = make_card_number("11", 43)
    forged = [
        code[:-1] + str((int(code[-1]) + 1) % 10),  # the MAC changed
        "7" + other_card + code[16:],  # another card's number under this card's MAC
        code[:16] + f"{int(code[16:29]) + 30_000:013d}" + code[29:],  # a later moment under the old MAC
    ]
    for text in forged:
        with pytest.raises(InvalidArgument) as refused:
            member_codes.verify(member_codes.parse(text), member_codes.card_key("region-secret", member_codes.parse(text).card_number),
                                NOW, "qr_token")
        assert refused.value.field == "qr_token"
    with pytest.raises(InvalidArgument):  # another region's secret
        member_codes.verify(member_codes.parse(code), member_codes.card_key("other-secret", CARD), NOW)


def test_texts_that_are_not_codes_are_refused_and_physical_cards_get_none() -> None:
    bad_check_digit = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    for text in ("", "7" * 38, "7" + bad_check_digit + "0" * 23, "７" * 39):
        with pytest.raises(InvalidArgument):
            member_codes.parse(text)
    with pytest.raises(FailedPrecondition):
        member_codes.issue(KEY, "12345678", NOW)
