from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from chaincard.console.formatting import format_bp, format_count, format_fen, format_timestamp
from chaincard.console.i18n import CATALOG, choose_language, translator


def test_amounts_points_and_rates():
    assert format_fen(123456) == "¥1,234.56" and format_fen(-5) == "-¥0.05" and format_fen(0) == "¥0.00"
    assert format_count(1234567) == "1,234,567"
    assert format_bp(1000) == "10%" and format_bp(1250) == "12.5%" and format_bp(5) == "0.05%"


def test_instants_show_in_chain_time():
    stamp = Timestamp()
    stamp.FromDatetime(datetime(2026, 12, 5, 12, 30, tzinfo=UTC))
    assert format_timestamp(stamp) == "2026-12-05 20:30"
    assert format_timestamp(Timestamp()) == "" and format_timestamp(None) == ""


def test_the_language_comes_from_the_cookie_then_the_browser():
    assert choose_language("zh", "en-GB") == "zh"
    assert choose_language(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert choose_language("fr", "en-US") == "en" and choose_language(None, None) == "en"
    assert translator("zh")("nav_dashboard") == "仪表盘" and translator("en")("nav_dashboard") == "Dashboard"
    assert translator("en")("no-such-key") == "no-such-key"


def test_every_entry_has_both_languages():
    assert all(english and chinese for english, chinese in CATALOG.values())
