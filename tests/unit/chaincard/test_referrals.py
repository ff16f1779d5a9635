"""Referral codes (docs/adr/0044): unambiguous characters, the home region in the first two."""

from __future__ import annotations

import pytest

from chaincard.errors import InvalidArgument
from chaincard.referrals import (
    ALPHABET,
    new_referral_code,
    referral_code,
    referral_points,
    region_prefix_of_referral_code,
)


@pytest.mark.parametrize("prefix", ["00", "01", "11", "30", "31", "99"])
def test_a_code_names_its_region_and_uses_no_misreadable_character(prefix: str) -> None:
    code = new_referral_code(prefix)
    assert len(code) == 8 and set(code) <= set(ALPHABET)
    assert not set(code) & set("0O1IL")
    assert region_prefix_of_referral_code(referral_code(code)) == prefix


def test_typed_codes_are_normalised() -> None:
    code = new_referral_code("12")
    assert referral_code(f" {code[:4].lower()}-{code[4:]} ") == code


@pytest.mark.parametrize("text", ["", "2B7K9QX", "2B7K9QXMM", "2B7K9QX0", "2B7K9QXO", "ZZ7K9QXM"])
def test_malformed_codes_are_refused_naming_the_field(text: str) -> None:
    with pytest.raises(InvalidArgument, match="referral_code"):
        referral_code(text)


def test_a_region_prefix_must_be_two_digits() -> None:
    with pytest.raises(ValueError):
        new_referral_code("1A")


def test_spend_points_are_floored_integers() -> None:
    assert referral_points(12_345, 250) == 308  # 308.625 floored
    assert referral_points(0, 250) == 0
    assert referral_points(-100, 250) == 0
