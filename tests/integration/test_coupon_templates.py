"""HQ's coupon templates (Q1) over real gRPC: a bad template is refused naming the field and changes
nothing; a good one reaches the configuration snapshot the regions and stores read; recharge tiers
and chain settings may only name known templates; ``chaincard coupon template set|list``."""

from __future__ import annotations

import os
import subprocess
import sys

import grpc
import pytest

from chaincard.coupons.templates import CouponKind, coupon_templates
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import program_config_pb2 as pc
from chaincard.v1 import program_config_pb2_grpc


def _template(**changes: object) -> pc.CouponTemplate:
    template = pc.CouponTemplate(code="IT-CASH-20", name="满100减20", kind=pc.COUPON_KIND_CASH_VOUCHER, face_value_fen=2_000,
                                 min_spend_fen=10_000, validity_days=30, store_ids=["S-E-002"], level_codes=["GOLD"],
                                 issuer_franchisee_id="F-AURORA", start_minute_of_day=600, end_minute_of_day=1320,
                                 active=True)
    for name, value in changes.items():
        if isinstance(value, list):
            getattr(template, name).extend(value)
        else:
            setattr(template, name, value)
    return template


def _snapshot(config: program_config_pb2_grpc.ProgramConfigServiceStub) -> pc.ConfigSnapshot:
    return config.GetConfigSnapshot(pc.GetConfigSnapshotRequest(), timeout=10).snapshot


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": ""}, "coupon_template.name"),
    ({"kind": pc.COUPON_KIND_UNSPECIFIED}, "coupon_template.kind"),
    ({"face_value_fen": 0}, "coupon_template.face_value_fen"),
    ({"kind": pc.COUPON_KIND_DISCOUNT, "discount_bp": 10_000}, "coupon_template.discount_bp"),
    ({"kind": pc.COUPON_KIND_PRODUCT}, "coupon_template.product_skus"),
    ({"weekdays": [9]}, "coupon_template.weekdays[0]"),
    ({"validity_days": 0}, "coupon_template.validity_days"),
    ({"store_ids": ["S-NOWHERE"]}, "coupon_template.store_ids[1]"),
    ({"level_codes": ["DIAMOND"]}, "coupon_template.level_codes[1]"),
    ({"issuer_franchisee_id": "F-NOBODY"}, "coupon_template.issuer_franchisee_id"),
    ({"transfer_reward_points": 5}, "coupon_template.transfer_reward_points"),
])
def test_a_bad_template_is_refused_naming_the_field_and_changes_nothing(regions, changes, field):  # type: ignore[no-untyped-def]
    with open_channel(regions.hq_endpoint) as channel:
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        before = _snapshot(config)
        with pytest.raises(grpc.RpcError) as refused:
            config.UpsertCouponTemplate(pc.UpsertCouponTemplateRequest(
                request_id=new_id(), coupon_template=_template(code="IT-BAD", **changes)), timeout=10)
        after = _snapshot(config)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and refused.value.details().startswith(field + ":")
    assert after.version == before.version and "IT-BAD" not in {t.code for t in after.coupon_templates}


def test_a_good_template_reaches_the_snapshot_and_tiers_and_settings_name_only_known_ones(regions):  # type: ignore[no-untyped-def]
    template = _template()
    with open_channel(regions.hq_endpoint) as channel:
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        before = _snapshot(config)
        stored = config.UpsertCouponTemplate(pc.UpsertCouponTemplateRequest(request_id=new_id(), coupon_template=template),
                                             timeout=10)
        snapshot = _snapshot(config)
        assert stored.coupon_template == template and snapshot.version == stored.config_version > before.version
        terms = coupon_templates(snapshot)["IT-CASH-20"]
        assert (terms.kind, terms.face_value_fen, terms.store_ids, terms.issuer_franchisee_id, terms.end_minute_of_day) == (
            CouponKind.CASH_VOUCHER, 2_000, ("S-E-002",), "F-AURORA", 1320)

        promotion = pc.RechargePromotion(code="IT-PROMO", name="充500送券", active=True, tiers=[
            pc.RechargeTier(min_amount_fen=50_000, coupon_template_codes=["IT-CASH-20", "IT-GONE"])])
        with pytest.raises(grpc.RpcError) as unknown:
            config.UpsertRechargePromotion(pc.UpsertRechargePromotionRequest(request_id=new_id(), promotion=promotion),
                                           timeout=10)
        assert unknown.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert unknown.value.details().startswith("promotion.tiers[0].coupon_template_codes[1]:")
        del promotion.tiers[0].coupon_template_codes[1]
        config.UpsertRechargePromotion(pc.UpsertRechargePromotionRequest(request_id=new_id(), promotion=promotion), timeout=10)

        settings = pc.ChainSettings()
        settings.CopyFrom(_snapshot(config).settings)
        settings.birthday_coupon_template_codes.append("IT-GONE")
        with pytest.raises(grpc.RpcError) as unknown_setting:
            config.SetChainSettings(pc.SetChainSettingsRequest(request_id=new_id(), settings=settings), timeout=10)
        assert unknown_setting.value.details().startswith("settings.birthday_coupon_template_codes[0]:")
        del settings.birthday_coupon_template_codes[:]
        settings.registration_coupon_template_codes.append("IT-CASH-20")
        config.SetChainSettings(pc.SetChainSettingsRequest(request_id=new_id(), settings=settings), timeout=10)
        after = _snapshot(config)
    assert list(after.settings.registration_coupon_template_codes) == ["IT-CASH-20"]
    [kept] = [p for p in after.recharge_promotions if p.code == "IT-PROMO"]
    assert list(kept.tiers[0].coupon_template_codes) == ["IT-CASH-20"]


def _cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaincard.cli", *arguments], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CHAINCARD_INSECURE": "1"})  # the fixtures' HQ runs --insecure


def test_the_coupon_template_cli_sets_and_lists_templates(regions):  # type: ignore[no-untyped-def]
    hq = ["--hq", regions.hq_endpoint]
    added = _cli("coupon", "template", "set", "IT-LATTE", "--name", "Free latte", "--kind", "product", "--sku", "LATTE",
                 "--hours", "07:00-11:00", "--weekday", "1", "--weekday", "2", "--validity-days", "14", "--stackable", *hq)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("IT-LATTE Free latte: product, 1 LATTE free (configuration version ")
    listed = _cli("coupon", "template", "list", *hq)
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if "IT-LATTE" in line]
    assert "07:00-11:00" in row and "days 1,2" in row and "14 days" in row and "stackable" in row

    refused = _cli("coupon", "template", "set", "IT-NOTHING", "--name", "nothing", "--kind", "discount", *hq)
    assert refused.returncode == 1 and refused.stderr.startswith("INVALID_ARGUMENT: coupon_template.discount_bp"), refused.stderr
