from datetime import date

import pytest

from chaincard.console import dashboard, program
from chaincard.v1 import program_config_pb2


def test_periods_are_bucketed_by_day_iso_week_and_month():
    end = date(2026, 12, 5)  # a Saturday
    start, _ = dashboard.span("week", end)
    weeks = dashboard.empty_buckets("week", start, end)
    assert len(weeks) == dashboard.WEEK_SPAN and start.weekday() == 0
    assert list(weeks)[-1] == "2026-W49" and weeks["2026-W49"].end == end
    assert dashboard.bucket_key("week", "2026-12-01") == "2026-W49"
    start, _ = dashboard.span("month", end)
    months = dashboard.empty_buckets("month", start, end)
    assert list(months)[0] == "2026-01" and list(months)[-1] == "2026-12" and months["2026-02"].end == date(2026, 2, 28)
    days = dashboard.empty_buckets("day", *dashboard.span("day", end))
    assert len(days) == dashboard.DAY_SPAN and list(days)[-1] == "2026-12-05"


def test_a_form_becomes_a_diff_and_bad_values_name_their_field():
    level = program_config_pb2.Level(code="GOLD", name="Gold", rank=3, discount_bp=1000)
    changed = program.apply_form(level, {"f_name": "Gold+", "f_rank": "3", "f_discount_bp": "1200", "f_code": "EVIL"})
    assert changed.code == "GOLD"  # an existing item keeps its key
    assert program.diff(level, changed) == [("name", "Gold", "Gold+"), ("discount_bp", "1000", "1200")]
    with pytest.raises(program.FormError) as error:
        program.apply_form(level, {"f_discount_bp": "ten"})
    assert error.value.field == "discount_bp"
    request = program.KINDS["levels"].request("R1", changed)
    assert request.request_id == "R1" and request.level.name == "Gold+"
    new = program.apply_form(program.new_item(program.KINDS["count_items"]), {"f_name": "Wash"}, new_code="WASH2")
    assert new.code == "WASH2"


def test_a_member_is_looked_up_by_phone_card_number_qr_code_or_id():
    from datetime import UTC, datetime

    from chaincard import member_codes
    from chaincard.console.app import _safe_next, _view_request

    virtual = "881100000000010"
    code, _ = member_codes.issue(member_codes.card_key("secret", virtual), virtual, datetime.now(UTC))
    assert _view_request(code).card_number == virtual  # the QR member code's card, unverified: a look-up only
    assert _view_request("881100000000010").card_number == "881100000000010"
    assert _view_request("139 1234 5678").phone == "13912345678"
    assert _view_request("01a24647-2714-7c84-84c8-ed1df02dccf3").member_id == "01a24647-2714-7c84-84c8-ed1df02dccf3"
    assert _safe_next("/members?q=1") == "/members?q=1"
    assert _safe_next("//evil.example/") == _safe_next("https://evil.example/") == _safe_next(None) == "/"


def test_lists_maps_and_nested_messages_are_edited_as_protobuf_text_and_a_bad_text_names_its_field():
    level = program_config_pb2.Level(code="GOLD", name="Gold", privileges=["lounge"], category_discount_bp={"food": 500})
    rows = {row["name"]: row for row in program.field_rows(level)}
    assert rows["privileges"]["kind"] == "textproto" and rows["privileges"]["raw"] == 'privileges: "lounge"\n'
    assert rows["category_discount_bp"]["raw"] == 'category_discount_bp {\n  key: "food"\n  value: 500\n}\n'
    changed = program.apply_form(level, {"f_privileges": 'privileges: "lounge"\nprivileges: "parking"',
                                         "f_category_discount_bp": 'category_discount_bp { key: "drinks" value: 800 }'})
    assert list(changed.privileges) == ["lounge", "parking"] and dict(changed.category_discount_bp) == {"drinks": 800}
    assert ("privileges", "lounge", "lounge, parking") in program.diff(level, changed)
    assert program.apply_form(level, {"f_privileges": ""}).privileges == []  # an emptied box empties the list

    promotion = program_config_pb2.RechargePromotion(code="P1", tiers=[program_config_pb2.RechargeTier(min_amount_fen=10_000)])
    text = {row["name"]: row for row in program.field_rows(promotion)}["tiers"]["raw"]
    again = program.apply_form(promotion, {"f_tiers": text.replace("10000", "20000")})
    assert again.tiers[0].min_amount_fen == 20_000

    for form, why in (({"f_privileges": "privileges: [unclosed"}, "not valid protobuf text"),
                      ({"f_privileges": 'name: "sneaked in"'}, "may set only privileges")):
        with pytest.raises(program.FormError) as error:
            program.apply_form(level, form)
        assert error.value.field == "privileges" and why in str(error.value)
