"""region_service.validation: each field check refuses with INVALID_ARGUMENT naming the field, and
returns the value as the handlers store it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from chaincard.errors import InvalidArgument
from chaincard.ids import make_card_number
from region_service.validation import (
    MAX_TEXT,
    amount_fen,
    card_number,
    enum_choice,
    optional_date,
    optional_text,
    require_text,
)


def _refused(check, *args, **kwargs) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidArgument) as refused:
        check(*args, **kwargs)
    return str(refused.value)


def test_required_text_is_trimmed_and_bounded() -> None:
    assert require_text("name", "  王芳 Wang  ") == "王芳 Wang"
    assert require_text("name", "x" * MAX_TEXT) == "x" * MAX_TEXT
    assert require_text("reason", "y" * 200, max_length=200) == "y" * 200
    assert _refused(require_text, "name", "") == "name: is required"
    assert _refused(require_text, "name", "   ") == "name: is required"
    assert _refused(require_text, "name", None) == "name: is required"
    assert _refused(require_text, "name", "x" * (MAX_TEXT + 1)) == f"name: must be at most {MAX_TEXT} characters"
    assert _refused(require_text, "reason", "abc", max_length=2) == "reason: must be at most 2 characters"


@pytest.mark.parametrize("value", ["a\x00b", "line\nbreak", "tab\there", "bell\x07", "a\u2028b"])
def test_required_text_refuses_control_characters(value: str) -> None:
    assert _refused(require_text, "name", value) == "name: must not contain control characters"


def test_the_field_is_named_on_the_error() -> None:
    with pytest.raises(InvalidArgument) as refused:
        require_text("store_id", "")
    assert refused.value.field == "store_id"
    assert refused.value.status_name == "INVALID_ARGUMENT"


def test_optional_text_is_empty_or_checked_like_required_text() -> None:
    assert optional_text("email", "") == ""
    assert optional_text("email", "   ") == ""
    assert optional_text("email", None) == ""  # type: ignore[arg-type]
    assert optional_text("email", " a@b.cn ") == "a@b.cn"
    assert _refused(optional_text, "email", "x" * 10, max_length=5) == "email: must be at most 5 characters"
    assert _refused(optional_text, "email", "a\x1bb") == "email: must not contain control characters"


def test_optional_date() -> None:
    assert optional_date("birthday", "") is None
    assert optional_date("birthday", "1990-05-17") == date(1990, 5, 17)
    assert optional_date("birthday", "1900-01-01") == date(1900, 1, 1)
    assert optional_date("birthday", date.today().isoformat()) == date.today()
    for malformed in ("1990-02-30", "17/05/1990", "1990-5-17x", "yesterday"):
        assert _refused(optional_date, "birthday", malformed) == "birthday: must be a date YYYY-MM-DD", malformed
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    assert _refused(optional_date, "birthday", tomorrow) == "birthday: must be a real date in the past"
    assert _refused(optional_date, "birthday", "1899-12-31") == "birthday: must be a real date in the past"


def test_card_number() -> None:
    virtual = make_card_number("11", 12345)
    assert card_number(f" {virtual} ") == virtual
    assert card_number("12345678") == "12345678"  # a physical card's number: 8 to 32 digits, no check digit of ours
    assert card_number("9" * 32) == "9" * 32
    assert _refused(card_number, "") == "card_number: is required"
    assert _refused(card_number, "   ", "new_card_number") == "new_card_number: is required"
    for bad in ("1234567", "9" * 33, "8811-0000", "881100000000x12"):
        assert _refused(card_number, bad) == "card_number: must be 8 to 32 digits", bad


def test_a_mistyped_virtual_card_number_is_refused_by_its_check_digit() -> None:
    virtual = make_card_number("11", 12345)
    wrong = virtual[:-1] + str((int(virtual[-1]) + 1) % 10)
    assert _refused(card_number, wrong) == "card_number: check digit does not match (mistyped?)"
    assert card_number(wrong + "0") == wrong + "0"  # 16 digits: not one of ours, no check digit to check


def test_amount_fen() -> None:
    assert amount_fen("amount_fen", 1, maximum=100) == 1
    assert amount_fen("amount_fen", 100, maximum=100) == 100
    assert _refused(amount_fen, "amount_fen", 0, maximum=100) == "amount_fen: must be a positive number of fen"
    assert _refused(amount_fen, "amount_fen", -5, maximum=100) == "amount_fen: must be a positive number of fen"
    assert _refused(amount_fen, "refund_fen", 101, maximum=100) == "refund_fen: must be at most 100 fen"


def test_enum_choice() -> None:
    allowed = {1: "CASH", 3: "BANK_CARD", 2: "MOBILE_PAY"}
    assert enum_choice("tender", 3, allowed) == "BANK_CARD"
    assert _refused(enum_choice, "tender", 0, allowed) == "tender: must be one of BANK_CARD, CASH, MOBILE_PAY"
    assert _refused(enum_choice, "tender", 99, allowed) == "tender: must be one of BANK_CARD, CASH, MOBILE_PAY"
