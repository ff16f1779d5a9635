"""Prepaid compliance (V9) and recharge rules (V5), chaincard.compliance: each rule's refusal names
the rule and the limit; the national defaults apply where HQ set 0; HQ's own figures override them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chaincard import compliance
from chaincard.compliance import ComplianceRefused, Recharge, RechargeNotAllowed
from chaincard.config import load_settings
from chaincard.errors import FailedPrecondition, PermissionDenied
from chaincard.v1 import directory_pb2
from chaincard.v1 import program_config_pb2 as pc

CASHIER, MANAGER = directory_pb2.STAFF_ROLE_CASHIER, directory_pb2.STAFF_ROLE_STORE_MANAGER
NAMED = pc.CardType(code="NAMED", stored_value=True)
BEARER = pc.CardType(code="GIFT", stored_value=True, anonymous=True)
PLAIN = Recharge(amount_fen=10_000, principal_before_fen=0, principal_after_fen=10_000, cash=True, real_name=True,
                 store_id="S-E-001", role=CASHIER, manager_approved=False)


def recharge(amount_fen: int, before: int = 0, **changes: object) -> Recharge:
    return replace(PLAIN, amount_fen=amount_fen, principal_before_fen=before, principal_after_fen=before + amount_fen,
                   **changes)  # type: ignore[arg-type]


def refusal(card_type: pc.CardType, item: Recharge) -> ComplianceRefused | RechargeNotAllowed:
    with pytest.raises((ComplianceRefused, RechargeNotAllowed)) as refused:
        compliance.check_recharge(card_type, item)
    return refused.value


def test_national_defaults_fill_the_zero_fields() -> None:
    named, bearer = compliance.limits(NAMED), compliance.limits(BEARER)
    assert (named.balance_cap_fen, bearer.balance_cap_fen) == (500_000, 100_000)
    assert named.real_name_threshold_fen == bearer.real_name_threshold_fen == 1_000_000
    assert named.non_cash_threshold_fen == 5_000_000
    assert named.approval_threshold_fen == 0 and not named.store_ids and not named.roles


def test_named_card_balance_cap_counts_what_the_card_would_hold() -> None:
    compliance.check_recharge(NAMED, recharge(100_000, before=400_000))  # exactly ¥5,000: allowed
    refused = refusal(NAMED, recharge(600_000))
    assert isinstance(refused, FailedPrecondition) and refused.rule == "V9 balance cap" and refused.limit_fen == 500_000
    assert str(refused).startswith("recharge of ¥6,000.00 exceeds the named-card balance cap ¥5,000.00")
    assert str(refused).endswith("(V9 balance cap)")
    assert "¥5,000.01" in str(refusal(NAMED, recharge(1, before=500_000)))


def test_bearer_card_balance_cap_is_a_thousand_yuan() -> None:
    compliance.check_recharge(BEARER, recharge(100_000, real_name=False))
    refused = refusal(BEARER, recharge(50_000, before=60_000, real_name=False))
    assert "anonymous-card balance cap ¥1,000.00" in str(refused) and refused.rule == "V9 balance cap"


def test_hq_figures_override_the_defaults() -> None:
    generous = pc.CardType(code="VIP", stored_value=True, balance_cap_fen=10_000_000, real_name_threshold_fen=2_000_000,
                           non_cash_threshold_fen=3_000_000)
    compliance.check_recharge(generous, recharge(1_500_000))  # above the national ¥10,000: HQ said ¥20,000
    assert "¥30,000.00" in str(refusal(generous, recharge(3_000_000)))


def test_real_name_registration_above_its_threshold() -> None:
    big = pc.CardType(code="BIG", stored_value=True, balance_cap_fen=10_000_000)
    compliance.check_recharge(big, recharge(999_999, real_name=False))  # below ¥10,000: no registration needed
    refused = refusal(big, recharge(1_000_000, real_name=False))
    assert refused.rule == "V9 real-name registration" and "¥10,000.00" in str(refused)
    compliance.check_recharge(big, recharge(1_000_000, real_name=True))
    bearer = pc.CardType(code="BIGGIFT", stored_value=True, anonymous=True, balance_cap_fen=10_000_000)
    assert "a bearer card" in str(refusal(bearer, recharge(1_000_000, real_name=False)))


def test_cash_refused_at_and_above_the_non_cash_threshold() -> None:
    big = pc.CardType(code="BIG", stored_value=True, balance_cap_fen=20_000_000)
    refused = refusal(big, recharge(5_000_000, cash=True))
    assert refused.rule == "V9 non-cash payment" and "¥50,000.00" in str(refused) and "cash is refused" in str(refused)
    compliance.check_recharge(big, recharge(5_000_000, cash=False))
    compliance.check_recharge(big, recharge(4_999_999, cash=True))


def test_store_and_role_restrictions_are_permission_denied() -> None:
    limited = pc.CardType(code="LTD", stored_value=True, recharge_store_ids=["S-E-002"], recharge_roles=[MANAGER])
    refused = refusal(limited, recharge(10_000, store_id="S-E-001"))
    assert isinstance(refused, PermissionDenied) and refused.rule == "V5 recharge stores" and "S-E-002" in str(refused)
    refused = refusal(limited, recharge(10_000, store_id="S-E-002", role=CASHIER))
    assert refused.rule == "V5 recharge roles" and "a cashier may not recharge card type LTD" in str(refused)
    compliance.check_recharge(limited, recharge(10_000, store_id="S-E-002", role=MANAGER))
    # A store that vouches for its staff (role unknown here): the role rule cannot refuse.
    compliance.check_recharge(limited, recharge(10_000, store_id="S-E-002", role=None))


def test_manager_approval_above_the_threshold() -> None:
    approving = pc.CardType(code="APP", stored_value=True, recharge_approval_threshold_fen=200_000)
    assert not compliance.needs_approval(approving, 200_000) and compliance.needs_approval(approving, 200_001)
    compliance.check_recharge(approving, recharge(200_000))
    refused = refusal(approving, recharge(300_000))
    assert refused.rule == "V5 manager approval" and "¥2,000.00" in str(refused) and "store manager" in str(refused)
    compliance.check_recharge(approving, recharge(300_000, manager_approved=True))
    assert not compliance.needs_approval(NAMED, 10**9)  # 0: no approval


def test_rules_are_checked_in_a_stable_order() -> None:
    """Store before role before the V9 rules before the approval: a refusal names the first rule broken."""
    strict = pc.CardType(code="STRICT", stored_value=True, recharge_store_ids=["S-E-002"], recharge_approval_threshold_fen=1)
    assert refusal(strict, recharge(900_000, store_id="S-E-001")).rule == "V5 recharge stores"
    assert refusal(strict, recharge(900_000, store_id="S-E-002")).rule == "V9 balance cap"
    assert refusal(strict, recharge(100, store_id="S-E-002")).rule == "V5 manager approval"


def test_record_retention_at_least_five_years() -> None:
    compliance.require_record_retention("x", compliance.MIN_RECORD_RETENTION)
    with pytest.raises(ValueError, match="record_retention_days: records are kept at least 1827 days"):
        compliance.require_record_retention("record_retention_days", timedelta(days=365))
    assert load_settings().record_retention_days == 1827
    with pytest.raises(ValueError, match="5 years, V9 record retention"):
        load_settings(record_retention_days=1000)


def test_count_packs_bought_from_outside_the_card_follow_real_name_and_non_cash() -> None:
    count = pc.CardType(code="CNT", count_uses=True)
    compliance.check_purchase(count, amount_fen=4_999_999, cash=True, real_name=True, what="purchase of 5 × SPA")
    with pytest.raises(ComplianceRefused, match=r"purchase of 5 × SPA of ¥50,000.00 reaches the non-cash threshold .*\(V9 non-cash payment\)"):
        compliance.check_purchase(count, amount_fen=5_000_000, cash=True, real_name=True, what="purchase of 5 × SPA")
    gift = pc.CardType(code="GIFT", count_uses=True, anonymous=True)
    with pytest.raises(ComplianceRefused, match=r"a bearer card: register the holder by name \(V9 real-name registration\)"):
        compliance.check_purchase(gift, amount_fen=1_000_000, cash=False, real_name=False, what="purchase")
