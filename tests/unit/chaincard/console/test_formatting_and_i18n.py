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


def test_states_kinds_and_roles_are_named_in_the_operators_language_and_unknown_ones_by_their_short_name():
    from chaincard.console.labels import LABELS, labeler
    from chaincard.v1 import common_pb2, settlement_pb2

    zh, en = labeler("zh"), labeler("en")
    assert (zh("CardState", common_pb2.CARD_STATE_FROZEN), en("CardState", common_pb2.CARD_STATE_FROZEN)) == ("已冻结", "Frozen")
    assert zh("CouponState", common_pb2.COUPON_STATE_REDEEMED) == "已使用"
    assert en("SettlementFlow", settlement_pb2.SETTLEMENT_FLOW_PLATFORM_FEE) == "Platform fee"
    assert zh("Role", "STORE_MANAGER") == zh("Role", "OPERATOR_ROLE_STORE_MANAGER") == "店长"
    assert en("CardState", 99) == "99" and en("CardState", common_pb2.CARD_STATE_UNSPECIFIED) == "UNSPECIFIED"
    # Every value of the enums shown is labelled (a new value added to a proto shows up here).
    for enum, values in (("CardState", common_pb2.CardState), ("CouponState", common_pb2.CouponState),
                         ("TransactionType", common_pb2.TransactionType),
                         ("SettlementRunState", settlement_pb2.SettlementRunState),
                         ("SettlementFlow", settlement_pb2.SettlementFlow)):
        prefix = {"CardState": "CARD_STATE_", "CouponState": "COUPON_STATE_", "TransactionType": "TRANSACTION_TYPE_",
                  "SettlementRunState": "SETTLEMENT_RUN_STATE_", "SettlementFlow": "SETTLEMENT_FLOW_"}[enum]
        missing = [name for name in values.keys() if not name.endswith("_UNSPECIFIED")
                   and (enum, name.removeprefix(prefix)) not in LABELS]
        assert not missing, f"{enum} values without a label: {missing}"
