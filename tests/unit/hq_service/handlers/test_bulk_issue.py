"""Reading a StartBulkIssue stream (hq_service.handlers.bulk_issue.read_stream): pure, no database."""

from __future__ import annotations

import pytest

from chaincard.errors import InvalidArgument
from chaincard.ids import make_card_number
from chaincard.v1 import coupon_issue_pb2
from hq_service.handlers.bulk_issue import read_stream

A, B, C = (make_card_number("11", serial) for serial in (3, 1, 2))


def _stream(*parts: list[str], request_id: str = "req-1", reason: str = "spring", filter_name: str = "",
            ) -> list[coupon_issue_pb2.StartBulkIssueRequest]:
    messages = [coupon_issue_pb2.StartBulkIssueRequest(card_numbers=part) for part in parts]
    messages[0].request_id = request_id
    messages[0].start.CopyFrom(coupon_issue_pb2.BulkIssueStart(template_code="T", reason=reason, filter_name=filter_name))
    return messages


def test_cards_are_distinct_and_in_card_number_order_whatever_the_split() -> None:
    one = read_stream(_stream([A, B], [C, A]))
    other = read_stream(_stream([C], [B], [A]))
    assert one.cards == (B, C, A) == tuple(sorted({A, B, C}))
    assert one.fingerprint() == other.fingerprint()
    assert read_stream(_stream([A, B])).fingerprint() != one.fingerprint()
    assert read_stream(_stream([A, B, C], reason="other")).fingerprint() != one.fingerprint()


@pytest.mark.parametrize(("messages", "field"), [
    ([], "stream"),
    (_stream([A], request_id=""), "request_id"),
    (_stream([A], reason=""), "stream[0].start.reason"),
    (_stream([A], reason="x" * 129), "stream[0].start.reason"),
    (_stream([A], ["12"]), "stream[1].card_numbers[0]"),
    (_stream([A], filter_name="gold"), "stream[0].start.filter_name"),
    (_stream([]), "card_numbers"),
    ([coupon_issue_pb2.StartBulkIssueRequest(request_id="r", card_numbers=[A])], "stream[0].start"),
    (_stream([A], [B]) + [coupon_issue_pb2.StartBulkIssueRequest(request_id="another", card_numbers=[C])],
     "stream[2].request_id"),
    (_stream([A], [B]) + [coupon_issue_pb2.StartBulkIssueRequest(start=coupon_issue_pb2.BulkIssueStart(template_code="T"))],
     "stream[2].start"),
    (_stream([str(1_000_000_000 + n) for n in range(1001)]), "stream[0].card_numbers"),
])
def test_a_bad_stream_is_refused_naming_the_field(messages: list[coupon_issue_pb2.StartBulkIssueRequest], field: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        read_stream(messages)
    assert refused.value.field == field
