"""chaincard.money: amounts in fen, rates in basis points rounded half-up once."""

import pytest

from chaincard.money import apply_rate, format_fen, split_proportionally


def test_format_fen():
    assert format_fen(38_000) == "¥380.00"
    assert format_fen(-5) == "-¥0.05"
    with pytest.raises(TypeError):
        format_fen(1.5)  # type: ignore[arg-type]


def test_rates_round_half_up_once():
    assert apply_rate(1_005, 5_000) == 503
    assert split_proportionally(1, 1, 2) == 1
