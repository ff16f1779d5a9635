import pytest

from chaincard.coupons.codes import coupon_code, is_coupon_code, new_coupon_code, region_prefix_of_coupon
from chaincard.errors import InvalidArgument


def test_new_codes_are_valid_distinct_and_carry_their_region() -> None:
    codes = {new_coupon_code("11") for _ in range(1000)}
    assert len(codes) == 1000
    assert all(is_coupon_code(code) and region_prefix_of_coupon(code) == "11" for code in codes)


def test_a_mistyped_digit_is_refused_naming_the_field() -> None:
    code = new_coupon_code("12")
    wrong = code[:-2] + str((int(code[-2]) + 1) % 10) + code[-1]
    with pytest.raises(InvalidArgument, match="coupon_codes\\[0\\]"):
        coupon_code(wrong, "coupon_codes[0]")


def test_spaces_and_dashes_typed_at_a_till_are_dropped() -> None:
    code = new_coupon_code("12")
    assert coupon_code(f"{code[:5]} {code[5:10]}-{code[10:]}") == code


@pytest.mark.parametrize("text", ["", "88123", "9" * 17, "９" + "1" * 16, "8" + "1" * 16])
def test_what_is_not_a_code_is_refused(text: str) -> None:
    with pytest.raises(InvalidArgument):
        coupon_code(text)


def test_region_prefix_must_be_two_ascii_digits() -> None:
    with pytest.raises(ValueError):
        new_coupon_code("1")
