"""Configuration documents in TOML and YAML files: read one or several items, write them back.

A file holds one item (its fields at the top level), or several: a list (YAML), or a list under
the ConfigSnapshot field's name (``[[card_types]]`` in TOML, ``card_types:`` in YAML) — the form
``show`` writes, so ``show > x.toml``, edit, ``diff --file x.toml``, ``set --file x.toml`` works.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from chaincard.program_config.fields import Document, FieldError

FORMATS = ("toml", "yaml")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def file_format(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise FieldError(str(path), "give a .toml, .yaml or .yml file")


def load_documents(path: str | Path, list_name: str) -> list[Document]:
    """The items in the file at ``path`` (``list_name``: the ConfigSnapshot field holding several)."""
    text = Path(path).read_text(encoding="utf-8")
    if file_format(path) == "toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise FieldError(str(path), f"not TOML: {error}") from error
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise FieldError(str(path), f"not YAML: {error}") from error
    return documents_in(data, list_name, str(path))


def documents_in(data: Any, list_name: str, where: str) -> list[Document]:
    """The items of a parsed file: one mapping, a list of them, or a list under ``list_name`` (or ``items``)."""
    if isinstance(data, Mapping) and len(data) == 1:
        [(key, value)] = data.items()
        if key in (list_name, "items") and isinstance(value, list):
            data = value
    items = data if isinstance(data, list) else [data]
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise FieldError(f"{where}[{index}]", f"give a table of fields, not {item!r}")
    if not items:
        raise FieldError(where, "holds no item")
    return [dict(item) for item in items]


def dump(documents: list[Document], list_name: str, form: str) -> str:
    """``documents`` as a TOML or YAML file: one item at the top level, several under ``list_name``."""
    data: Document = documents[0] if len(documents) == 1 else {list_name: documents}
    if form == "yaml":
        import yaml

        return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return "\n".join(_toml_table(data, "")).strip() + "\n"


# ---- a small TOML writer (the standard library only reads TOML) -----------------------------------
def _toml_table(table: Mapping[str, Any], prefix: str) -> list[str]:
    lines = [f"{_key(key)} = {inline(value)}" for key, value in table.items()
             if not isinstance(value, Mapping) and not _is_table_array(value)]
    for key, value in table.items():
        name = prefix + _key(key)
        if _is_table_array(value):
            for item in value:
                lines += ["", f"[[{name}]]", *_toml_table(item, name + ".")]
        elif isinstance(value, Mapping):
            lines += ["", f"[{name}]", *_toml_table(value, name + ".")]
    return lines


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, Mapping) for item in value)


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def inline(value: Any) -> str:
    """One value in TOML's inline syntax (also how ``diff`` prints a value)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML's
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {inline(v)}" for k, v in value.items()) + " }" if value else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(inline(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
