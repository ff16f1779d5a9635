from datetime import UTC, date, datetime

import pytest

from chaincard.business_day import business_date
from chaincard.config import load_settings
from chaincard.logs import mask_phone_numbers
from chaincard.money import apply_rate, format_fen, split_proportionally
from chaincard.phones import mask_phone, normalise_phone, phone_hmac


def test_format_fen():
    assert format_fen(38_000) == "¥380.00"
    assert format_fen(-5) == "-¥0.05"
    with pytest.raises(TypeError):
        format_fen(1.5)  # type: ignore[arg-type]


def test_rates_round_half_up_once():
    assert apply_rate(1_005, 5_000) == 503
    assert split_proportionally(1, 1, 2) == 1


def test_business_day_cutoff():
    # 01:30 in Shanghai on the 22nd is still the 21st's business day with a 04:00 cut-off.
    assert business_date(datetime(2026, 11, 21, 17, 30, tzinfo=UTC)) == date(2026, 11, 21)
    assert business_date(datetime(2026, 11, 21, 20, 30, tzinfo=UTC)) == date(2026, 11, 22)


def test_phones():
    assert normalise_phone("+86 138-1234-5678") == "13812345678"
    assert normalise_phone("12345") is None
    assert mask_phone("13812345678") == "138****5678"
    assert phone_hmac("13812345678", "k") != phone_hmac("13812345678", "other")
    assert mask_phone_numbers("call 13812345678 now") == "call 138****5678 now"


def test_settings_precedence(tmp_path, monkeypatch):
    config = tmp_path / "c.toml"
    config.write_text('listen = "127.0.0.1:1"\nregion_code = "E"\nrpc_deadline_seconds = 2\nsomething_else = 1\n')
    monkeypatch.setenv("CHAINCARD_REGION_CODE", "W")
    settings = load_settings(config, listen="127.0.0.1:3")
    assert settings.listen == "127.0.0.1:3"  # flag beats file
    assert settings.region_code == "W"  # environment beats file
    assert settings.rpc_deadline_seconds == 2.0
    assert settings.extra == {"something_else": 1}
