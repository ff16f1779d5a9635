"""What setting a configuration item would change in the running one, field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chaincard.program_config.documents import inline

UNSET = object()


@dataclass(frozen=True)
class Change:
    """``path`` (``tiers``, ``limits.pinless_limit_fen``) goes from ``before`` to ``after`` (UNSET: absent)."""

    path: str
    before: Any
    after: Any

    def describe(self) -> str:
        return f"{self.path}: {_text(self.before)} → {_text(self.after)}"


def _text(value: Any) -> str:
    return "(unset)" if value is UNSET else inline(value)


def changes(running: Mapping[str, Any], wanted: Mapping[str, Any], path: str = "") -> list[Change]:
    """The fields whose values differ between two documents of the same message (sub-messages
    field by field, lists and maps as a whole), in field order."""
    found: list[Change] = []
    for key in [*running, *(key for key in wanted if key not in running)]:
        before, after = running.get(key, UNSET), wanted.get(key, UNSET)
        where = f"{path}.{key}" if path else key
        if isinstance(before, Mapping) and isinstance(after, Mapping) and not _is_map(before, after):
            found += changes(before, after, where)
        elif before != after:
            found.append(Change(where, before, after))
    return found


def _is_map(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Maps (``category_discount_bp``) compare whole; sub-messages have the same fields on both sides."""
    return set(before) != set(after) or not before
