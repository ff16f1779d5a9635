"""The campaign's control group (docs/adr/0055): exactly members × percent // 100, drawn from the
seed alone, the same every time."""

from __future__ import annotations

from hq_service.campaign_sender import control_group

MEMBERS = [f"member-{index:03d}" for index in range(137)]


def test_the_control_group_has_the_size_asked_and_is_the_same_for_the_same_seed() -> None:
    group = control_group(42, MEMBERS, 20)
    assert len(group) == 137 * 20 // 100 == 27
    assert group == control_group(42, list(reversed(MEMBERS)), 20)  # the order members come in does not matter
    assert group <= set(MEMBERS)


def test_another_seed_draws_another_group_and_zero_percent_draws_nobody() -> None:
    assert control_group(42, MEMBERS, 20) != control_group(43, MEMBERS, 20)
    assert control_group(42, MEMBERS, 0) == set()
    assert control_group(7, MEMBERS[:3], 20) == set()  # 3 × 20 // 100 = 0
