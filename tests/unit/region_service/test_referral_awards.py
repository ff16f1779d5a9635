"""The ids of referral award events (docs/adr/0044): derived from the act, so an act is one event."""

from __future__ import annotations

import uuid

from region_service.referral_awards import event_id_of


def test_an_act_always_has_the_same_id_and_different_acts_differ() -> None:
    assert event_id_of("spend", "t-1") == event_id_of("spend", "t-1")
    ids = {event_id_of(kind, key) for kind in ("opening", "spend", "clawback") for key in ("t-1", "t-2")}
    assert len(ids) == 6
    assert all(len(event_id) == 36 and uuid.UUID(event_id).version == 5 for event_id in ids)  # fits the inbox column
