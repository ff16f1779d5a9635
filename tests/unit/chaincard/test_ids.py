import os
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chaincard.errors import InvalidArgument
from chaincard.ids import (
    is_ascii_digits,
    is_virtual_card_number,
    luhn_check_digit,
    luhn_is_valid,
    make_card_number,
    new_id,
    region_prefix_of,
)
from chaincard.validation import card_number


def test_known_luhn_numbers():
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")


def test_card_number_layout():
    number = make_card_number("11", 42)
    assert number.startswith("8811") and len(number) == 15
    assert number[4:14] == "0000000042"
    assert is_virtual_card_number(number)
    assert region_prefix_of(number) == "11"


@given(st.integers(min_value=0, max_value=10**10 - 1), st.integers(min_value=0, max_value=14), st.integers(min_value=1, max_value=9))
def test_any_single_digit_typo_is_caught(serial, position, delta):
    number = make_card_number("21", serial)
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert not luhn_is_valid(typo)


def test_ids_are_unique_and_time_ordered():
    ids = [new_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert ids == sorted(ids)


@pytest.mark.parametrize("text", ["８８１１００００００００４２３", "12³", "", "12a", "١٢٣"])
def test_only_ascii_digits_are_digits(text):
    # A till's input method can type full-width or other scripts' digits; str.isdigit takes them.
    assert not is_ascii_digits(text)
    with pytest.raises(InvalidArgument):
        card_number(text)


def test_ascii_digits_are_digits():
    assert is_ascii_digits("0123456789")


def test_new_ids_are_uuid7_unique_and_increasing_in_a_process_and_a_forked_child_draws_its_own() -> None:
    ids = [new_id() for _ in range(5000)]  # more than one pooled read of random bytes
    assert len(set(ids)) == len(ids) and ids == sorted(ids)
    assert {(uuid.UUID(value).version, uuid.UUID(value).variant) for value in ids} == {(7, uuid.RFC_4122)}
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(writer, new_id().encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(child, 0)
    from_child = os.read(reader, 64).decode()
    assert from_child[14:] != new_id()[14:]  # not the parent's next random bits
