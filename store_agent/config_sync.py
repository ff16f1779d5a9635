"""The program configuration at the store (DESIGN §2: a versioned snapshot of HQ's, through the
region): pulled every ~15 s while online (``ConfigPuller``), kept in SQLite so an agent restarted
during an outage still knows its prices, levels, earn rules and offline limits. Each pull also tells
the region the agent's offline queue (issue 19: the console shows stores online/offline with it)."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from importlib import metadata

import grpc
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
from chaincard.rpc.channels import call
from chaincard.v1 import directory_pb2, program_config_pb2, store_sync_pb2, store_sync_pb2_grpc
from chaincard.workers import PeriodicJob
from store_agent.limits import OfflineLimits, limits_for_store
from store_agent.models import ConfigSnapshotRecord, OfflineAdvice
from store_agent.region_link import UNREACHABLE, LinkMonitor

log = logging.getLogger(__name__)

DEFAULT_POLL_SECONDS = 15.0

AGENT_VERSION = "unknown"
try:
    AGENT_VERSION = metadata.version("chaincard")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    pass


class StoreConfig:
    def __init__(self, store_id: str, session_factory: sessionmaker[Session]) -> None:
        self.store_id = store_id
        self.session_factory = session_factory
        self._lock = threading.Lock()
        self._snapshot: program_config_pb2.ConfigSnapshot | None = None
        # The agent's start, as its region is told (a store whose agent restarts often shows it).
        self.started_at = utc_now()
        with session_factory() as session:
            row = session.get(ConfigSnapshotRecord, 1)
            if row is not None:
                self._snapshot = program_config_pb2.ConfigSnapshot.FromString(row.snapshot)

    def snapshot(self) -> program_config_pb2.ConfigSnapshot | None:
        with self._lock:
            return self._snapshot

    @property
    def version(self) -> int:
        snapshot = self.snapshot()
        return snapshot.version if snapshot is not None else 0

    def store(self) -> directory_pb2.Store | None:
        snapshot = self.snapshot()
        if snapshot is None:
            return None
        return next((store for store in snapshot.stores if store.store_id == self.store_id), None)

    def limits(self) -> OfflineLimits:
        return limits_for_store(self.snapshot(), self.store_id)

    def pull(self, stub: store_sync_pb2_grpc.StoreSyncServiceStub, *, deadline: float) -> bool:
        """Ask the region for a newer snapshot; True when one arrived. Raises grpc.RpcError."""
        answer = call(stub.PullConfigSnapshot, self.pull_request(), deadline=deadline)
        if answer.unchanged or not answer.HasField("snapshot"):
            return False
        self.install(answer.snapshot)
        return True

    def pull_request(self) -> store_sync_pb2.PullConfigSnapshotRequest:
        """The pull, with the agent's state for its region: one indexed count on the local queue."""
        with self.session_factory() as session:
            depth, oldest = session.execute(
                select(func.count(), func.min(OfflineAdvice.approved_at)).where(OfflineAdvice.state == "QUEUED")
            ).one()
        request = store_sync_pb2.PullConfigSnapshotRequest(
            store_id=self.store_id, known_version=self.version, status_reported=True, offline_queue_depth=depth,
            agent_version=AGENT_VERSION,
        )
        request.agent_started_at.FromDatetime(self.started_at)
        if isinstance(oldest, datetime):
            request.oldest_queued_at.FromDatetime(oldest)
        return request

    def install(self, snapshot: program_config_pb2.ConfigSnapshot) -> None:
        with self.session_factory.begin() as session:
            row = session.get(ConfigSnapshotRecord, 1)
            if row is None:
                session.add(ConfigSnapshotRecord(id=1, version=snapshot.version, snapshot=snapshot.SerializeToString(), pulled_at=utc_now()))
            else:
                row.version, row.snapshot, row.pulled_at = snapshot.version, snapshot.SerializeToString(), utc_now()
        with self._lock:
            self._snapshot = snapshot
        log.info("configuration snapshot installed", extra={"fields": {"version": snapshot.version}})


class ConfigPuller(PeriodicJob):
    """Pulls the snapshot every ``interval_seconds`` (and once before the agent serves, by
    ``pull_once``); every answer, or the lack of one, tells the link monitor whether the region is up."""

    def __init__(self, config: StoreConfig, stub: store_sync_pb2_grpc.StoreSyncServiceStub, monitor: LinkMonitor, *,
                 deadline: float, interval_seconds: float = DEFAULT_POLL_SECONDS) -> None:
        super().__init__("config-pull", interval_seconds, self.pull_once)
        self.config = config
        self.stub = stub
        self.monitor = monitor
        self.deadline = deadline

    def pull_once(self) -> None:
        try:
            self.config.pull(self.stub, deadline=self.deadline)
        except grpc.RpcError as error:
            if error.code() in UNREACHABLE:
                self.monitor.failure(error.code().name)
            else:
                log.warning("configuration pull refused", extra={"fields": {"status": error.code().name, "details": error.details()}})
            return
        self.monitor.success()
