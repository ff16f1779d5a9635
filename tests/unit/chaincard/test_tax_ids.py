"""Unified social credit codes (GB 32100-2015): published codes pass, a changed character fails."""

from __future__ import annotations

import pytest

from chaincard.tax_ids import check_character, is_valid_tax_id


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_codes_are_valid(code: str) -> None:
    assert is_valid_tax_id(code)


@pytest.mark.parametrize("code", [
    "91350100M000100Y44",  # check character changed
    "91350100M000100Y4",  # 17 characters
    "91350100M000100O43",  # 'O' is not in the alphabet
    "91350100m000100y43",  # lower case
    "",
])
def test_malformed_codes_are_not(code: str) -> None:
    assert not is_valid_tax_id(code)


def test_the_check_character_completes_a_code() -> None:
    assert is_valid_tax_id("91320500MA0000001" + check_character("91320500MA0000001"))
