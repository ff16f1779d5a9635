"""The card state machine and the physical-stock rule (region_service.card_states), as pure functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from chaincard.errors import FailedPrecondition, InvalidArgument
from region_service import card_states
from region_service.card_states import (
    ACTIVE,
    CLOSED,
    EXPIRED,
    FINAL_STATES,
    FROZEN,
    INACTIVE,
    LOST,
    REPLACED,
    STATES,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
NUMBER = "8100000000000017"


@dataclass
class _Card:
    state: str
    expires_at: datetime | None = None
    replaced_by_card_number: str | None = None
    card_number: str = NUMBER


@dataclass(frozen=True)
class _Entry:
    home_region: str = "E"
    franchisee_id: str = "F-HQ"
    card_type_code: str = "SV"


TRANSITIONS = {
    card_states.ACTIVATE: ({INACTIVE}, ACTIVE),
    card_states.REPORT_LOST: ({ACTIVE, FROZEN}, LOST),
    card_states.CANCEL_LOSS: ({LOST}, ACTIVE),
    card_states.FREEZE: ({ACTIVE}, FROZEN),
    card_states.UNFREEZE: ({FROZEN}, ACTIVE),
    card_states.REPLACE: ({ACTIVE}, REPLACED),
    card_states.REISSUE: ({LOST}, REPLACED),
    card_states.CLOSE: ({ACTIVE, INACTIVE, LOST, EXPIRED}, CLOSED),
}


@pytest.mark.parametrize("transition", list(TRANSITIONS), ids=lambda t: t.action)
@pytest.mark.parametrize("state", sorted(STATES))
def test_each_transition_is_allowed_from_its_states_only(transition, state):
    allowed, target = TRANSITIONS[transition]
    assert transition.target == target
    card = _Card(state)
    if state in allowed:
        card_states.require_transition(card, transition, NOW)
    else:
        with pytest.raises(FailedPrecondition, match=f"^card {NUMBER} is "):
            card_states.require_transition(card, transition, NOW)


def test_no_transition_leaves_a_final_state_but_closing_an_expired_card():
    for transition in TRANSITIONS:
        leaves = transition.allowed & FINAL_STATES
        assert leaves == ({EXPIRED} if transition is card_states.CLOSE else set())  # the principal stays refundable


def test_refusals_say_what_the_card_is_and_which_cards_can():
    with pytest.raises(FailedPrecondition) as refused:
        card_states.require_transition(_Card(FROZEN), card_states.FREEZE, NOW)
    assert str(refused.value) == f"card {NUMBER} is frozen; it cannot be frozen (only active cards can)"
    with pytest.raises(FailedPrecondition) as refused:
        card_states.require_transition(_Card(ACTIVE), card_states.REISSUE, NOW)
    assert str(refused.value) == f"card {NUMBER} is active; it cannot be reissued (only lost cards can)"
    replaced = _Card(REPLACED, replaced_by_card_number="8100000000000025")
    with pytest.raises(FailedPrecondition) as refused:
        card_states.require_transition(replaced, card_states.FREEZE, NOW)
    assert str(refused.value) == f"card {NUMBER} is replaced by card 8100000000000025; it cannot be frozen (only active cards can)"
    with pytest.raises(FailedPrecondition) as refused:
        card_states.require_state(_Card(INACTIVE), frozenset({ACTIVE, LOST}), "closed")
    assert str(refused.value).endswith("it cannot be closed (only active or lost cards can)")


def test_a_frozen_card_must_be_unfrozen_before_closing():
    with pytest.raises(FailedPrecondition, match="^card .* is frozen; unfreeze it before closing it$"):
        card_states.require_transition(_Card(FROZEN), card_states.CLOSE, NOW)


def test_transitions_to_a_usable_card_refuse_an_expired_one():
    past = NOW - timedelta(days=1)
    for transition in TRANSITIONS:
        source = next(iter(sorted(transition.allowed)))
        card = _Card(source, expires_at=past)
        if transition.refuse_expired:
            with pytest.raises(FailedPrecondition, match=f"expired on {past.date().isoformat()}; it cannot be {transition.verb}$"):
                card_states.require_transition(card, transition, NOW)
        else:
            card_states.require_transition(card, transition, NOW)
    assert {t.action for t in TRANSITIONS if t.refuse_expired} == {
        "card.activate", "card.cancel_loss", "card.unfreeze", "card.replace", "card.reissue"}


def test_only_an_active_card_within_its_validity_is_usable():
    card_states.require_usable(_Card(ACTIVE), NOW)
    card_states.require_usable(_Card(ACTIVE, expires_at=NOW + timedelta(seconds=1)), NOW)
    with pytest.raises(FailedPrecondition, match=f"^card {NUMBER} expired on 2026-12-02$"):
        card_states.require_usable(_Card(ACTIVE, expires_at=NOW), NOW)
    for state in sorted(STATES - {ACTIVE}):
        with pytest.raises(FailedPrecondition, match=f"is {state.lower()}; it cannot be used$"):
            card_states.require_usable(_Card(state), NOW)
    with pytest.raises(FailedPrecondition, match="was replaced by card 8100000000000025; use that one$"):
        card_states.require_usable(_Card(REPLACED, replaced_by_card_number="8100000000000025"), NOW)


def test_expiry_takes_every_non_final_state_past_its_validity():
    assert card_states.EXPIRABLE_STATES == STATES - FINAL_STATES
    past = NOW - timedelta(minutes=1)
    for state in sorted(STATES):
        assert card_states.is_due_for_expiry(_Card(state, expires_at=past), NOW) == (state not in FINAL_STATES)
        assert not card_states.is_due_for_expiry(_Card(state, expires_at=None), NOW)
        assert not card_states.is_due_for_expiry(_Card(state, expires_at=NOW + timedelta(minutes=1)), NOW)
    assert card_states.is_expired(_Card(ACTIVE, expires_at=NOW), NOW)


def test_pin_and_points_change_until_the_card_is_closed_or_replaced():
    for state in sorted(STATES):
        card = _Card(state)
        if state in (CLOSED, REPLACED):
            with pytest.raises(FailedPrecondition, match=f"is {state.lower()}; its PIN cannot be reset$"):
                card_states.require_pin_changeable(card, "reset")
            with pytest.raises(FailedPrecondition, match=f"is {state.lower()}; its points cannot change$"):
                card_states.require_points_adjustable(card)
        else:
            card_states.require_pin_changeable(card, "reset")
            card_states.require_points_adjustable(card)


def test_describe():
    assert card_states.describe(_Card(LOST)) == "lost"
    assert card_states.describe(_Card(REPLACED)) == "replaced"
    assert card_states.describe(_Card(REPLACED, replaced_by_card_number="8100000000000025")) == "replaced by card 8100000000000025"


# ---- the physical-stock rule ------------------------------------------------------------------------

def test_a_physical_number_must_be_registered_and_homed_here():
    entry = _Entry()
    assert card_states.require_registered_here("6200000000000001", entry, "E") is entry
    with pytest.raises(FailedPrecondition, match="^card 6200000000000001 is not registered in the chain's card directory$"):
        card_states.require_registered_here("6200000000000001", None, "E")
    with pytest.raises(FailedPrecondition, match="^card 6200000000000001 belongs to region W's stock$"):
        card_states.require_registered_here("6200000000000001", _Entry(home_region="W"), "E")
    with pytest.raises(FailedPrecondition, match="belongs to region W's stock, not to the card's home region$"):
        card_states.require_registered_here("6200000000000001", _Entry(home_region="W"), "E", replacing=True)


def test_a_new_card_comes_from_the_issuing_franchisees_stock_of_its_type():
    card_states.require_stock_of("6200000000000001", _Entry(), franchisee_id="F-HQ", card_type_code="SV")
    card_states.require_stock_of("6200000000000001", _Entry(card_type_code=""), franchisee_id="F-HQ", card_type_code="GOLD")
    with pytest.raises(FailedPrecondition, match="^card 6200000000000001 is stock of franchisee F-AURORA, not of this store's$"):
        card_states.require_stock_of("6200000000000001", _Entry(franchisee_id="F-AURORA"), franchisee_id="F-HQ",
                                     card_type_code="SV")
    with pytest.raises(InvalidArgument, match="^card_type_code: card 6200000000000001 was printed for card type SV$"):
        card_states.require_stock_of("6200000000000001", _Entry(), franchisee_id="F-HQ", card_type_code="GOLD")


def test_a_replacement_never_moves_liability_between_franchisees():
    with pytest.raises(FailedPrecondition, match=f"is stock of franchisee F-AURORA; card {NUMBER} was issued by F-HQ$"):
        card_states.require_stock_of("6200000000000001", _Entry(franchisee_id="F-AURORA"), franchisee_id="F-HQ",
                                     card_type_code="SV", replacing=NUMBER)
    with pytest.raises(FailedPrecondition, match="was printed for card type SV, not GOLD$"):
        card_states.require_stock_of("6200000000000001", _Entry(), franchisee_id="F-HQ", card_type_code="GOLD", replacing=NUMBER)


def test_the_rules_import_neither_the_database_nor_grpc():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(card_states))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name and name.split(".")[0] in ("sqlalchemy", "grpc", "google", "region_service")}
