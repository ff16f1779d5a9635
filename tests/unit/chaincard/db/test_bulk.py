"""COPY's text format as chaincard.db.bulk writes it (the rows themselves go through PostgreSQL in
tests/integration/test_imports.py)."""

from datetime import UTC, date, datetime

import pytest

from chaincard.db.bulk import copy_text


def test_values_in_copy_text_format() -> None:
    assert copy_text(None) == "\\N"
    assert copy_text(None, as_json=True) == "\\N"  # SQL NULL, as the ORM's JSON type writes None
    assert copy_text("钱\t多\\多\n\r") == "钱\\t多\\\\多\\n\\r"
    assert copy_text("\\N") == "\\\\N"  # the text "\N" is not NULL
    assert (copy_text(True), copy_text(False), copy_text(-12)) == ("t", "f", "-12")
    assert copy_text(datetime(2026, 12, 4, 18, 0, 1, 5, tzinfo=UTC)) == "2026-12-04T18:00:01.000005+00:00"
    assert copy_text(date(2026, 12, 4)) == "2026-12-04"
    assert copy_text(b"\x00\xff") == "\\\\x00ff"  # bytea hex, its backslash escaped
    assert copy_text({"a": "x\ty", "b": [1]}, as_json=True) == '{"a": "x\\\\ty", "b": [1]}'
    assert copy_text([], as_json=True) == "[]"


def test_a_value_with_no_text_form_is_refused() -> None:
    with pytest.raises(TypeError, match="float"):
        copy_text(1.5)
