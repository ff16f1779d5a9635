from datetime import UTC, datetime, timedelta

import pytest

from chaincard.coupons.templates import CouponKind, coupon_templates, issuable_template, validity
from chaincard.errors import FailedPrecondition
from chaincard.v1 import program_config_pb2 as pc

ISSUED = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _snapshot(**fields: object) -> pc.ConfigSnapshot:
    template = pc.CouponTemplate(code="CASH-20", name="满 100 减 20", kind=pc.COUPON_KIND_CASH_VOUCHER, face_value_fen=2000,
                                 min_spend_fen=10_000, active=True, **fields)  # type: ignore[arg-type]
    return pc.ConfigSnapshot(coupon_templates=[template])


def test_terms_read_every_rule() -> None:
    terms = coupon_templates(_snapshot(validity_days=30, level_codes=["GOLD"], start_minute_of_day=600))["CASH-20"]
    assert (terms.kind, terms.face_value_fen, terms.min_spend_fen, terms.level_codes, terms.start_minute_of_day) == (
        CouponKind.CASH_VOUCHER, 2000, 10_000, ("GOLD",), 600)


def test_validity_runs_n_days_from_issue() -> None:
    terms = coupon_templates(_snapshot(validity_days=30))["CASH-20"]
    assert validity(terms, ISSUED) == (ISSUED, ISSUED + timedelta(days=30))


def test_fixed_dates_bound_the_window() -> None:
    start, end = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)
    snapshot = _snapshot()
    snapshot.coupon_templates[0].valid_from.FromDatetime(start)
    snapshot.coupon_templates[0].valid_until.FromDatetime(end)
    assert validity(coupon_templates(snapshot)["CASH-20"], ISSUED) == (start, end)


def test_an_ended_window_or_none_at_all_is_refused() -> None:
    snapshot = _snapshot()
    snapshot.coupon_templates[0].valid_until.FromDatetime(ISSUED - timedelta(days=1))
    with pytest.raises(FailedPrecondition, match="ended"):
        validity(coupon_templates(snapshot)["CASH-20"], ISSUED)
    with pytest.raises(FailedPrecondition, match="neither"):
        validity(coupon_templates(_snapshot())["CASH-20"], ISSUED)


def test_only_an_active_known_template_issues() -> None:
    with pytest.raises(FailedPrecondition, match="no coupon template"):
        issuable_template(_snapshot(validity_days=1), "NOPE")
    snapshot = _snapshot(validity_days=1)
    snapshot.coupon_templates[0].active = False
    with pytest.raises(FailedPrecondition, match="not active"):
        issuable_template(snapshot, "CASH-20")
