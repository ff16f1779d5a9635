"""``chaincard card link|unlink|links`` parse to their handlers (C5)."""

from __future__ import annotations

from chaincard import cli
from chaincard.v1 import cards_pb2
from region_service import card_link_cli


def test_link_unlink_and_links_parse_to_their_handlers() -> None:
    parser = cli.build_parser()
    link = parser.parse_args(["card", "link", "8811000000000101", "8811000000000200", "--limit-fen", "50000", "--store", "S-E-001"])
    assert (link.handler, link.main, link.card, link.limit_fen, link.store) == (
        card_link_cli.run_link, "8811000000000101", "8811000000000200", 50_000, "S-E-001")
    assert parser.parse_args(["card", "unlink", "8811000000000101", "8811000000000200"]).handler is card_link_cli.run_unlink
    assert parser.parse_args(["card", "links", "8811000000000101"]).handler is card_link_cli.run_links


def test_a_link_is_printed_with_its_limit_and_this_months_spending() -> None:
    line = card_link_cli.link_line(cards_pb2.LinkedCard(linked_card_number="8811000000000200", monthly_limit_fen=50_000,
                                                        spent_this_month_fen=12_345, month="2026-12"))
    assert line.startswith("8811000000000200")
    assert "500.00" in line and "123.45" in line and "2026-12" in line
