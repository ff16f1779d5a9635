"""region_service.program.ProgramCache against a real gRPC server standing in for HQ's
ProgramConfigService: while one caller waits on a slow HQ for a newer snapshot, every other caller
goes on at once with the snapshot it has."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest

from chaincard.v1 import program_config_pb2, program_config_pb2_grpc
from region_service.program import ProgramCache


class SlowHq(program_config_pb2_grpc.ProgramConfigServiceServicer):
    """Answers version 1 at once; every later call waits until ``release`` is set, then answers version 2."""

    def __init__(self) -> None:
        self.calls = 0
        self.waiting = threading.Event()
        self.release = threading.Event()

    def GetConfigSnapshot(self, request, context):  # type: ignore[no-untyped-def]  # noqa: N802 - gRPC's name
        self.calls += 1
        if self.calls > 1:
            self.waiting.set()
            self.release.wait(10)
        return program_config_pb2.GetConfigSnapshotResponse(
            snapshot=program_config_pb2.ConfigSnapshot(version=min(self.calls, 2)))


@pytest.fixture
def hq() -> Iterator[tuple[SlowHq, program_config_pb2_grpc.ProgramConfigServiceStub]]:
    servicer = SlowHq()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    program_config_pb2_grpc.add_ProgramConfigServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield servicer, program_config_pb2_grpc.ProgramConfigServiceStub(channel)
    servicer.release.set()
    channel.close()
    server.stop(None)


def test_a_slow_refresh_holds_up_only_the_caller_that_makes_it(hq):
    servicer, stub = hq
    cache = ProgramCache(stub, max_age_seconds=0.0)  # every call finds the snapshot stale
    assert cache.snapshot().version == 1
    refresher = threading.Thread(target=cache.snapshot)
    refresher.start()
    assert servicer.waiting.wait(10)  # the refresh is with HQ now
    for _ in range(5):  # the others neither wait nor ask HQ again
        assert cache.snapshot().version == 1
    assert servicer.calls == 2
    servicer.release.set()
    refresher.join(10)
    assert cache.snapshot().version == 2


def test_a_caller_that_needs_a_fresh_snapshot_waits_for_it(hq):
    servicer, stub = hq
    cache = ProgramCache(stub, max_age_seconds=3600.0)
    assert cache.snapshot().version == 1
    servicer.release.set()
    assert cache.snapshot().version == 1  # not stale: HQ is not asked
    assert cache.snapshot(force=True).version == 2 and servicer.calls == 2
