"""The tills: what they asked the store agent, what they were answered, and their retries with the
same request id (as the agent tells them to) until they have a final answer."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from google.protobuf.message import Message

from chaincard.errors import ChainCardError
from chaincard.v1 import transactions_pb2
from simulation.store import Store

# A store agent's answers that are not final: the request is kept, retry it with the same request_id.
# (An offline refusal is FAILED_PRECONDITION, but the journal keeps the request PENDING too: ADR 0011.)
RETRY = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "ABORTED"}


def request_id(rng: random.Random) -> str:
    """A request id from the seed (a till's own ids, so a replay sends the same ones)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass
class TillRequest:
    kind: str  # "checkout" | "recharge"
    request: Message
    card_number: str
    home_region: str
    answer: Message | None = None  # the final OK answer
    error: str = ""  # the final error status ("" while none)
    offline: bool = False  # answered OK by the stand-in
    refused_offline: bool = False  # the stand-in's refusal (the request stays PENDING at the agent)
    answers: list[str] = field(default_factory=list)  # every answer, in order, for the report

    @property
    def final(self) -> bool:
        return self.answer is not None or bool(self.error)

    @property
    def request_id(self) -> str:
        rid: str = getattr(self.request, "request_id")  # noqa: B009 - every till request has one
        return rid

    def send(self, store: Store) -> None:
        """Once, to the store agent (its crash propagates: the till's request stays open)."""
        try:
            if self.kind == "checkout":
                assert isinstance(self.request, transactions_pb2.CheckoutRequest)
                answer: Message = store.transactions.Checkout(self.request, None)  # type: ignore[arg-type]
            else:
                assert isinstance(self.request, transactions_pb2.RechargeCardRequest)
                answer = store.transactions.RechargeCard(self.request, None)  # type: ignore[arg-type]
        except ChainCardError as error:
            self.answers.append(f"{error.status_name}: {error.message[:90]}")
            if error.status_name in RETRY:
                return
            if error.status_name == "FAILED_PRECONDITION" and ("store offline" in error.message or "not answering" in error.message):
                self.refused_offline = True
                return
            self.error = error.status_name
            return
        self.answer = answer
        self.offline = bool(getattr(answer, "offline", False))
        self.answers.append("OK offline" if self.offline else "OK")
