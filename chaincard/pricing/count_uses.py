"""The count-uses stage of the checkout pipeline (K1, docs/adr/0029), as a pure function.

Each COUNT_USES tender names an item and a number of uses; one use pays for one unit of a basket
line whose SKU the item covers, lines taken in basket order. A line wholly covered is paid in full
(its net fen); k of its q units pay floor(net × k / q) — never more than the units are worth after
discounts. Uses beyond the eligible units are an argument error naming the tender.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from chaincard.pricing.engine import CountUsesStage, PricedLine
from chaincard.pricing.errors import PricingError


@dataclass(frozen=True)
class CountUseIntent:
    """A COUNT_USES tender: ``uses`` of ``item_code``; ``where`` names it ("tenders[2]")."""

    where: str
    item_code: str
    uses: int


def count_uses_stage(intents: Sequence[CountUseIntent], eligible_skus: Mapping[str, frozenset[str]]) -> CountUsesStage:
    """The stage paying for lines with ``intents``; ``eligible_skus``: each item's SKUs (CountItem)."""

    def stage(lines: tuple[PricedLine, ...], /) -> Sequence[int]:
        units_left = [line.quantity for line in lines]
        covered_units = [0] * len(lines)
        for intent in intents:
            skus = eligible_skus.get(intent.item_code, frozenset())
            wanted = intent.uses
            for index, line in enumerate(lines):
                if wanted == 0:
                    break
                if line.sku in skus and units_left[index] > 0:
                    taken = min(wanted, units_left[index])
                    units_left[index] -= taken
                    covered_units[index] += taken
                    wanted -= taken
            if wanted:
                raise PricingError(f"{intent.where}.uses",
                                   f"{intent.uses} uses of {intent.item_code}, but the basket has only "
                                   f"{intent.uses - wanted} more units it covers")
        return [line.net_fen if units == line.quantity else line.net_fen * units // line.quantity
                for line, units in zip(lines, covered_units, strict=True)]

    return stage
