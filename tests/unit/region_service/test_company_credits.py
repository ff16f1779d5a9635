"""Where a credit note's amount comes from (C6, docs/adr/0045 fifth change): the card's principal
first, up to what the line's recharge put on the card, then the debt that recharge paid, owed again."""

from __future__ import annotations

import pytest

from region_service.company_credits import card_part, credit_key


@pytest.mark.parametrize(("line", "owed_paid", "credits", "from_card"), [
    (10_000, 0, [10_000], [10_000]),  # the whole line, as before partial credits
    (10_000, 0, [3_000, 4_000, 3_000], [3_000, 4_000, 3_000]),
    (10_000, 2_000, [10_000], [8_000]),  # 2,000 of it paid the card's debt: owed again
    (10_000, 2_000, [5_000, 5_000], [5_000, 3_000]),  # the card's part first
    (10_000, 2_000, [8_000, 1_000, 1_000], [8_000, 0, 0]),
    (10_000, 10_000, [4_000], [0]),  # the recharge all went to the debt
])
def test_a_lines_credits_take_the_cards_part_first_and_add_up_to_the_whole_lines(
        line: int, owed_paid: int, credits: list[int], from_card: list[int]) -> None:
    before, taken = 0, []
    for amount in credits:
        taken.append(card_part(line, owed_paid, before, amount))
        before += amount
    assert taken == from_card
    if before == line:  # however it was split, the card gave back its part and the rest is owed again
        assert sum(taken) == line - owed_paid


def test_a_credit_is_keyed_by_its_note_and_without_one_by_the_line() -> None:
    assert credit_key("J1", 3, "C-9") == "company-credit:C-9"
    assert credit_key("J1", 3) == "company-credit:J1:3"
