"""A statement's memo is stored as rows under one list of columns, and read back as the dicts
MemoLine.as_dict makes — adjustments' original days included, and memos stored as dicts before."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.dialects import postgresql

from settlement.models import MemoItems
from settlement.rules import MemoLine

ITEMS = [
    MemoLine("CARD_CLOSURE", "ACQUIRER", "F-BAMBOO", "S-E-001", None, 1, principal_fen=-4_321, bonus_fen=-500),
    MemoLine("POINTS", "ISSUER", "F-AURORA", "S-W-002", date(2026, 11, 20), 3, points=85),
]


def _through_the_database(value):  # type: ignore[no-untyped-def]
    """What a JSON column does to the value: serialize, store, parse."""
    memo, dialect = MemoItems(), postgresql.dialect()
    stored = json.loads(json.dumps(memo.process_bind_param(value, dialect)))
    return stored, memo.process_result_value(stored, dialect)


def test_memo_items_are_stored_as_rows_and_read_as_dicts():
    stored, read = _through_the_database(ITEMS)
    assert stored["columns"][:3] == ["item", "role", "counterparty_franchisee_id"]
    assert stored["rows"][1][:5] == ["POINTS", "ISSUER", "F-AURORA", "S-W-002", "2026-11-20"]
    assert read == [item.as_dict() for item in ITEMS]
    assert [MemoLine.from_dict(item) for item in read] == ITEMS


def test_dicts_are_accepted_and_memos_stored_as_dicts_are_read_as_they_are():
    as_dicts = [item.as_dict() for item in ITEMS]
    assert _through_the_database(as_dicts)[1] == as_dicts
    assert MemoItems().process_result_value(as_dicts, postgresql.dialect()) == as_dicts
    assert _through_the_database([])[1] == []
