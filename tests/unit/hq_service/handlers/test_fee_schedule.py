"""HQ checks every rate of a fee schedule, naming the field (docs/adr/0031: count_use_fee_bp)."""

from __future__ import annotations

import pytest

from chaincard.errors import InvalidArgument
from chaincard.v1 import program_config_pb2 as pc
from hq_service.handlers.program import CONFIG_KINDS


@pytest.mark.parametrize("value", [-1, 10_001])
def test_a_count_use_fee_outside_0_to_10000_is_refused_naming_it(value: int) -> None:
    check = CONFIG_KINDS["SetFeeSchedule"].check
    schedule = pc.FeeSchedule(effective_from_business_date="2026-11-26", interchange_bp=150, count_use_fee_bp=value)
    with pytest.raises(InvalidArgument) as refused:
        check(schedule)
    assert "fee_schedule.count_use_fee_bp" in str(refused.value)
    check(pc.FeeSchedule(effective_from_business_date="2026-11-26", count_use_fee_bp=10_000))
