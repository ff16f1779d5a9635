"""TOML and YAML files of one or several items; what ``dump`` writes reads back the same."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from chaincard.program_config.documents import documents_in, dump, load_documents
from chaincard.program_config.fields import FieldError

PROMOTION = {"code": "P1", "name": "充500送50 \"quoted\"", "tiers": [{"min_amount_fen": 50000, "bonus_fen": 5000},
                                                                  {"min_amount_fen": 100000, "coupon_template_codes": ["C1"]}],
             "valid_until": "2027-01-01T00:00:00+08:00", "store_ids": [], "active": True}
LEVEL = {"code": "GOLD", "category_discount_bp": {"tea": 1500, "a b": 1}, "privileges": ["lounge"]}


@pytest.mark.parametrize("form", ["toml", "yaml"])
@pytest.mark.parametrize("documents", [[PROMOTION], [PROMOTION, {**PROMOTION, "code": "P2"}], [LEVEL]])
def test_dump_reads_back(form: str, documents: list[dict[str, object]]) -> None:
    text = dump(documents, "items_field", form)
    data = tomllib.loads(text) if form == "toml" else yaml.safe_load(text)
    assert documents_in(data, "items_field", "x") == documents


def test_a_file_holds_one_item_a_list_or_a_list_under_the_snapshot_name(tmp_path: Path) -> None:
    one, several, named = tmp_path / "one.toml", tmp_path / "several.yaml", tmp_path / "named.toml"
    one.write_text('code = "A"\n', encoding="utf-8")
    several.write_text("- code: A\n- code: B\n", encoding="utf-8")
    named.write_text('[[levels]]\ncode = "A"\n[[levels]]\ncode = "B"\n', encoding="utf-8")
    assert load_documents(one, "levels") == [{"code": "A"}]
    assert load_documents(several, "levels") == load_documents(named, "levels") == [{"code": "A"}, {"code": "B"}]


@pytest.mark.parametrize(("name", "text", "problem"), [
    ("x.json", "{}", "give a .toml, .yaml or .yml file"),
    ("x.toml", "code = ", "not TOML"),
    ("x.yaml", "- [1, 2]\n", "give a table of fields"),
    ("x.yaml", "[]\n", "holds no item"),
])
def test_a_file_that_is_not_a_configuration_document_is_refused(tmp_path: Path, name: str, text: str, problem: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FieldError, match=problem):
        load_documents(path, "levels")
