"""The region's cache of HQ's card directory: where a physical card number lives (C2, X3).

A number's home never changes once registered, so answers are cached for good; "not registered"
is cached briefly, since the number may be registered any minute.
"""

from __future__ import annotations

import threading
import time

import grpc

from chaincard.errors import Unavailable
from chaincard.rpc.channels import call
from chaincard.v1 import member_index_pb2, member_index_pb2_grpc

UNKNOWN_TTL_SECONDS = 30.0


class CardDirectoryCache:
    def __init__(self, stub: member_index_pb2_grpc.MemberIndexServiceStub, deadline: float) -> None:
        self.stub = stub
        self.deadline = deadline
        self._known: dict[str, member_index_pb2.ResolveCardNumberResponse] = {}
        self._unknown: dict[str, float] = {}
        self._lock = threading.Lock()

    def resolve(self, card_number: str) -> member_index_pb2.ResolveCardNumberResponse | None:
        with self._lock:
            if card_number in self._known:
                return self._known[card_number]
            if time.monotonic() - self._unknown.get(card_number, -UNKNOWN_TTL_SECONDS) < UNKNOWN_TTL_SECONDS:
                return None
        try:
            answer = call(self.stub.ResolveCardNumber, member_index_pb2.ResolveCardNumberRequest(card_number=card_number),
                          deadline=self.deadline)
        except grpc.RpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                with self._lock:
                    self._unknown[card_number] = time.monotonic()
                return None
            if error.code() == grpc.StatusCode.INVALID_ARGUMENT:
                return None
            raise Unavailable("HQ's card directory is not reachable; retry shortly") from error
        with self._lock:
            self._known[card_number] = answer
        return answer
