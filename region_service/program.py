"""The region's copy of HQ's configuration snapshot (directory, card types, levels), refreshed by version."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from typing import TypeVar

import grpc

from chaincard.errors import InvalidArgument, NotFound, Unavailable
from chaincard.rpc.channels import call
from chaincard.v1 import directory_pb2, program_config_pb2, program_config_pb2_grpc

ItemT = TypeVar("ItemT")

log = logging.getLogger(__name__)


class ProgramCache:
    """HQ's snapshot, asked for again once it is ``max_age_seconds`` old. While one caller asks HQ,
    the others go on with the snapshot they have (a slow or unreachable HQ must not hold up every
    checkout); a caller with no snapshot yet, or one that asks for a fresh one, waits."""

    def __init__(self, stub: program_config_pb2_grpc.ProgramConfigServiceStub, *, max_age_seconds: float = 10.0) -> None:
        self.stub = stub
        self.max_age_seconds = max_age_seconds
        self._snapshot: program_config_pb2.ConfigSnapshot | None = None
        self._fetched_at = 0.0
        self._refreshing = threading.Lock()

    def snapshot(self, *, force: bool = False) -> program_config_pb2.ConfigSnapshot:
        current = self._snapshot
        if current is not None and not force:
            if time.monotonic() - self._fetched_at > self.max_age_seconds and self._refreshing.acquire(blocking=False):
                try:
                    self._refresh()
                finally:
                    self._refreshing.release()
            return self._snapshot or current
        with self._refreshing:
            if force or self._snapshot is None:
                self._refresh()
            assert self._snapshot is not None
            return self._snapshot

    def _refresh(self) -> None:
        known = self._snapshot.version if self._snapshot is not None else 0
        try:
            answer = call(self.stub.GetConfigSnapshot, program_config_pb2.GetConfigSnapshotRequest(known_version=known))
        except grpc.RpcError as error:
            if self._snapshot is None:
                raise Unavailable("HQ configuration is not reachable yet; try again shortly") from error
            log.warning("keeping the last configuration snapshot: HQ unreachable")
            self._fetched_at = time.monotonic()
            return
        if not answer.unchanged:
            self._snapshot = answer.snapshot
        self._fetched_at = time.monotonic()

    def _find(self, items: Iterable[ItemT], key: str, value: str) -> ItemT | None:
        for item in items:
            if getattr(item, key) == value:
                return item
        return None

    def store(self, store_id: str, *, field: str = "store_id") -> directory_pb2.Store:
        if not store_id:
            raise InvalidArgument(field, "is required")
        found = self._find(self.snapshot().stores, "store_id", store_id)
        if found is None:
            found = self._find(self.snapshot(force=True).stores, "store_id", store_id)
        if found is None:
            raise InvalidArgument(field, f"unknown store {store_id!r}")
        return found

    def region(self, code: str) -> directory_pb2.Region:
        found = self._find(self.snapshot().regions, "code", code) or self._find(
            self.snapshot(force=True).regions, "code", code
        )
        if found is None:
            raise NotFound(f"region {code!r} is not in the chain directory")
        return found

    def region_by_card_prefix(self, prefix: str) -> directory_pb2.Region | None:
        return self._find(self.snapshot().regions, "card_prefix", prefix) or self._find(
            self.snapshot(force=True).regions, "card_prefix", prefix
        )

    def card_type(self, code: str) -> program_config_pb2.CardType:
        if not code:
            raise InvalidArgument("card_type_code", "is required")
        found = self._find(self.snapshot().card_types, "code", code)
        if found is None:
            raise InvalidArgument("card_type_code", f"unknown card type {code!r}")
        return found

    def level(self, code: str) -> program_config_pb2.Level | None:
        return self._find(self.snapshot().levels, "code", code)

    def entry_level(self) -> program_config_pb2.Level | None:
        """The lowest-ranked level: where every new card starts."""
        levels = sorted(self.snapshot().levels, key=lambda level: level.rank)
        return levels[0] if levels else None
