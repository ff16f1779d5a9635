"""The consumer groups whose lag `chaincard status` reports: HQ's, settlement's and each region's
referral group (docs/adr/0044)."""

from __future__ import annotations

from chaincard.events import topics
from chaincard.events.lag import CONSUMER_GROUPS, groups_of, region_referrals_group


def test_each_region_named_adds_its_referral_group_on_the_referral_topic() -> None:
    groups = groups_of(["E", "W"])
    assert groups == {**CONSUMER_GROUPS, "region-E-referrals": (topics.REFERRALS,), "region-W-referrals": (topics.REFERRALS,)}
    assert region_referrals_group("E") == "region-E-referrals"
    assert groups_of() == CONSUMER_GROUPS
