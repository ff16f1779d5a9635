"""HQ's directory keeps every field of a store it is given, and hands it on in the snapshot."""

from __future__ import annotations

import pytest

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import directory_pb2, directory_pb2_grpc, program_config_pb2, program_config_pb2_grpc
from tests.integration.region_fixtures import run_regions


@pytest.fixture(scope="module")
def regions(postgres, broker):
    yield from run_regions(postgres, broker.bootstrap)


def test_a_store_keeps_its_address_and_whether_it_trades(regions):
    store = directory_pb2.Store(store_id="S-E-DIR", name="Suzhou Guanqian", region_code="E", franchisee_id="F-AURORA",
                                time_zone="Asia/Shanghai", address="苏州市观前街 88 号", active=True)
    with open_channel(regions.hq_endpoint) as channel:
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        directory.UpsertStore(directory_pb2.UpsertStoreRequest(request_id=new_id(), store=store), timeout=10)
        assert directory.GetStore(directory_pb2.GetStoreRequest(store_id="S-E-DIR"), timeout=10).store == store

        closed = directory_pb2.Store()
        closed.CopyFrom(store)
        closed.active = False
        directory.UpsertStore(directory_pb2.UpsertStoreRequest(request_id=new_id(), store=closed), timeout=10)
        snapshot = program_config_pb2_grpc.ProgramConfigServiceStub(channel).GetConfigSnapshot(
            program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
    [seen] = [item for item in snapshot.stores if item.store_id == "S-E-DIR"]
    assert seen == closed
