"""A store agent under test, in the test's process, behind a proxy that can cut its WAN link to
region E: the fixture the store modules of tests/integration share."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from chaincard.config import Settings
from chaincard.ids import new_id
from chaincard.local.proxy import LinkProxy
from chaincard.rpc.channels import open_channel
from chaincard.v1 import (
    cards_pb2_grpc,
    directory_pb2,
    directory_pb2_grpc,
    members_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
    store_agent_pb2,
    store_agent_pb2_grpc,
    transactions_pb2_grpc,
)
from store_agent.bootstrap import start_store

# The store agent's pace in these tests: the configuration polled twice a second, the link probed and
# the offline queue forwarded within a fraction of a second (each module adds its card refresh pace).
FAST_STORE = {"CHAINCARD_STORE_CONFIG_POLL_SECONDS": "0.5", "CHAINCARD_STORE_LINK_PROBE_SECONDS": "0.3",
              "CHAINCARD_STORE_FORWARD_IDLE_SECONDS": "0.2"}


@dataclass
class StoreUnderTest:
    port: int
    proxy: LinkProxy
    database: str
    members: members_pb2_grpc.MemberServiceStub
    cards: cards_pb2_grpc.CardServiceStub
    till: transactions_pb2_grpc.TransactionServiceStub
    agent: store_agent_pb2_grpc.StoreAgentServiceStub

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def status(self) -> store_agent_pb2.GetStoreStatusResponse:
        return self.agent.GetStoreStatus(store_agent_pb2.GetStoreStatusRequest(), timeout=5)

    def wait(self, predicate: Callable[[store_agent_pb2.GetStoreStatusResponse], bool],
             timeout: float = 30.0) -> store_agent_pb2.GetStoreStatusResponse:
        deadline = time.monotonic() + timeout
        while not predicate(status := self.status()):
            assert time.monotonic() < deadline, f"store status never matched: {status}"
            time.sleep(0.1)
        return status

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Rows of the store agent's own SQLite database."""
        with sqlite3.connect(self.database.removeprefix("sqlite:///")) as connection:
            return list(connection.execute(sql, params))


S = TypeVar("S", bound=StoreUnderTest)


def region_endpoint(hq_endpoint: str, code: str) -> str:
    """Region ``code``'s gRPC endpoint, as HQ's directory lists it."""
    with open_channel(hq_endpoint) as channel:
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    return next(region.endpoint for region in snapshot.regions if region.code == code)


def add_store(hq_endpoint: str, store_id: str, name: str) -> None:
    """A store of franchisee F-AURORA in region E, at HQ."""
    with open_channel(hq_endpoint) as channel:
        directory_pb2_grpc.DirectoryServiceStub(channel).UpsertStore(directory_pb2.UpsertStoreRequest(
            request_id=new_id(), store=directory_pb2.Store(store_id=store_id, name=name, region_code="E",
                                                           franchisee_id="F-AURORA", time_zone="Asia/Shanghai", active=True)), timeout=10)


@contextmanager
def running_store(hq_endpoint: str, store_id: str, database: str, knobs: dict[str, str],
                  kind: type[S] = StoreUnderTest) -> Iterator[S]:  # type: ignore[assignment]
    """Store agent ``store_id`` on SQLite ``database``, linked to region E through a LinkProxy,
    paced by ``knobs`` (environment settings), until the block ends."""
    proxy = LinkProxy(region_endpoint(hq_endpoint, "E"))
    with pytest.MonkeyPatch.context() as patch:
        for name, value in knobs.items():
            patch.setenv(name, value)
        running = start_store(Settings(listen="127.0.0.1:0", store_id=store_id, region_endpoint=proxy.endpoint,
                                       database_url=database, rpc_deadline_seconds=2.0, insecure=True))
    channel = open_channel(f"127.0.0.1:{running.port}")
    try:
        yield kind(port=running.port, proxy=proxy, database=database, members=members_pb2_grpc.MemberServiceStub(channel),
                   cards=cards_pb2_grpc.CardServiceStub(channel), till=transactions_pb2_grpc.TransactionServiceStub(channel),
                   agent=store_agent_pb2_grpc.StoreAgentServiceStub(channel))
    finally:
        channel.close()
        running.stop(grace=1)
        proxy.close()
