"""The store agent's command pipeline: one way every POS write goes to the region.

This store's id is filled in, the request is journaled before its first send (store_agent.journal;
a used request id with another payload is ALREADY_EXISTS, a repeat gets the kept answer), sent until
the region answers, and the answer kept (store_agent.region_link.RegionLink.mutate). The RPC's name
and answer type follow from the request's type (chaincard.commands), never typed twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from chaincard.commands import operation_of, response_type_of
from store_agent.region_link import RegionLink


def receipt_of(response: Any) -> tuple[str, str]:
    """The (transaction id, receipt text) a store keeps of an answer that prints a receipt."""
    return response.transaction.transaction_id, "\n".join(line.text for line in response.receipt)


@dataclass(frozen=True)
class StoreCommands:
    store_id: str
    link: RegionLink

    def send(self, region: Any, request: Message, *, prints_receipt: bool = False,
             before_send: Callable[[], None] | None = None) -> Any:
        """``request`` to the same RPC of ``region`` (its stub), through the journal. ``prints_receipt``:
        the answer's receipt is kept for reprints; ``before_send`` runs once the request is journaled."""
        request.store_id = self.store_id  # type: ignore[attr-defined]  # every store request has the field; Message does not say
        operation = operation_of(type(request))
        return self.link.mutate(operation, getattr(region, operation), request, response_type_of(type(request)),
                                receipt_of=receipt_of if prints_receipt else None, before_send=before_send)
