"""Statement files are byte-for-byte deterministic: nothing inside comes from the clock."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime

import pytest

from chaincard.v1 import program_config_pb2, settlement_pb2
from settlement.documents import FORMATS, StatementDocument, render


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_same_statement_renders_to_the_same_bytes_a_second_later(file_format):
    statement = settlement_pb2.Statement(
        statement_id="ST-2026-11-20-F-A", franchisee_id="F-A", franchisee_name="Aurora Trading (曙光商贸)", business_date="2026-11-20",
        lines=[settlement_pb2.StatementLine(line_number=1, flow=1, counterparty_franchisee_id="F-B", store_id="S-1",
                                            transaction_count=2, gross_fen=10_000, counterparty_fee_fen=150, net_fen=9_850)],
        receivable_fen=9_850, net_fen=9_850, fee_schedule=program_config_pb2.FeeSchedule(effective_from_business_date="2026-01-01"),
    )
    statement.generated_at.FromDatetime(datetime(2026, 11, 21, 20, 30, tzinfo=UTC))
    document = StatementDocument(statement, [], "SR-2026-11-20-0123abcd", {"franchisees": {"F-B": "Bamboo (竹林)"}})
    first = hashlib.sha256(render(document, file_format)).hexdigest()
    time.sleep(1.05)  # across a second boundary: any clock-derived field would show
    assert hashlib.sha256(render(document, file_format)).hexdigest() == first
