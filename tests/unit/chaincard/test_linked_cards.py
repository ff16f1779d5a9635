"""The linked-card rules (C5, docs/adr/0032), pure: the month, the limit, the link refusals, and the
checkout core's rewrite of a linked card's stored-value tender onto its main card."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chaincard import linked_cards
from chaincard.checkout.request import CheckoutFields, drawn_on_main_card
from chaincard.errors import FailedPrecondition, InvalidArgument
from chaincard.linked_cards import LinkFacts, require_linkable, require_within_limit
from chaincard.pricing import CountUseIntent, TenderIntent, TenderKind

MAIN, LINKED = "8811000000000101", "8811000000000200"


def _facts(**changes: object) -> LinkFacts:
    base: dict[str, object] = {"main_card_number": MAIN, "linked_card_number": LINKED, "main_region": "E", "linked_region": "E",
                               "main_is_linked_to": None, "linked_is_linked_to": None, "links_of_linked": 0,
                               "other_links_of_main": 0, "linked_stored_value_fen": 0}
    base.update(changes)
    return LinkFacts(**base)  # type: ignore[arg-type]


def test_the_month_is_the_chains_calendar_month() -> None:
    # 16:30 UTC on 30 November is already 1 December in Shanghai.
    assert linked_cards.month_of(datetime(2026, 11, 30, 16, 30, tzinfo=UTC), "Asia/Shanghai") == "2026-12"
    assert linked_cards.month_of(datetime(2026, 11, 30, 15, 59, tzinfo=UTC), "Asia/Shanghai") == "2026-11"


def test_each_link_rule_is_worded() -> None:
    require_linkable(_facts())
    require_linkable(_facts(linked_is_linked_to=MAIN, other_links_of_main=linked_cards.MAX_LINKED_CARDS - 1))  # a new limit
    with pytest.raises(InvalidArgument, match="linked_card_number"):
        require_linkable(_facts(linked_card_number=MAIN))
    cases = [
        (_facts(linked_region="W"), "share its main card's home region"),
        (_facts(main_is_linked_to="8811000000000309"), "cannot be a main card"),
        (_facts(links_of_linked=2), "a main card cannot be linked"),
        (_facts(linked_is_linked_to="8811000000000309"), "already linked to main card 8811000000000309"),
        (_facts(other_links_of_main=linked_cards.MAX_LINKED_CARDS), f"already has {linked_cards.MAX_LINKED_CARDS}"),
        (_facts(linked_stored_value_fen=10), "holds 10 fen of its own stored value"),
    ]
    for facts, words in cases:
        with pytest.raises(FailedPrecondition, match=words):
            require_linkable(facts)
    with pytest.raises(InvalidArgument, match="monthly_limit_fen"):
        linked_cards.monthly_limit(0)


def test_the_limit_holds_to_the_fen() -> None:
    require_within_limit(LINKED, limit_fen=1_000, spent_fen=400, amount_fen=600, month="2026-12")
    with pytest.raises(FailedPrecondition, match="400 fen spent, this sale needs 601 fen \\(600 fen left\\)"):
        require_within_limit(LINKED, limit_fen=1_000, spent_fen=400, amount_fen=601, month="2026-12")


def _fields(*tenders: TenderIntent) -> CheckoutFields:
    return CheckoutFields(card_number=LINKED, lines=(), tenders=tenders, points_to_redeem=0)


def test_a_linked_cards_stored_value_is_its_main_cards() -> None:
    stored, cash = TenderIntent(kind=TenderKind.STORED_VALUE, amount_fen=0), TenderIntent(kind=TenderKind.CASH, amount_fen=500)
    assert drawn_on_main_card(_fields(cash, stored), MAIN).tenders == (
        cash, TenderIntent(kind=TenderKind.OTHER_MEMBER_CARD, amount_fen=0, card_number=MAIN))
    # No money tender: the implied stored value is the main card's, after any count-uses tender.
    uses = TenderIntent(kind=TenderKind.COUNT_USES, amount_fen=0)
    fields = drawn_on_main_card(CheckoutFields(LINKED, (), (uses,), 0, (), (CountUseIntent("tenders[0]", "WASH", 1),)), MAIN)
    assert fields.tenders == (uses, TenderIntent(kind=TenderKind.OTHER_MEMBER_CARD, amount_fen=0, card_number=MAIN))
    assert fields.other_card_numbers == [MAIN]
    assert drawn_on_main_card(_fields(cash), MAIN).tenders == (cash,)  # cash only: nothing drawn
