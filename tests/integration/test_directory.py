"""HQ's directory keeps every field of a store it is given, and hands it on in the snapshot."""

from __future__ import annotations

import os
import subprocess
import sys

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import directory_pb2, directory_pb2_grpc, program_config_pb2, program_config_pb2_grpc
from region_service.handlers.store_sync import snapshot_for_store


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


def _staff(**fields) -> directory_pb2.Staff:  # type: ignore[no-untyped-def]
    person = directory_pb2.Staff(staff_id="ST-DIR-1", store_id="S-E-001", name="周敏", role=directory_pb2.STAFF_ROLE_CASHIER,
                                 active=True, employee_number="HR-0042")
    for name, value in fields.items():
        setattr(person, name, value)
    return person


def test_staff_are_kept_listed_by_store_and_handed_to_each_store_in_the_snapshot(regions):
    with open_channel(regions.hq_endpoint) as channel:
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        version = config.GetConfigSnapshot(program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot.version
        cashier, manager = _staff(), _staff(staff_id="ST-DIR-2", name="陈强", role=directory_pb2.STAFF_ROLE_STORE_MANAGER)
        for person in (cashier, manager):
            stored = directory.UpsertStaff(directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=person), timeout=10).staff
            assert stored == person
        left = _staff(active=False)
        directory.UpsertStaff(directory_pb2.UpsertStaffRequest(request_id=new_id(), staff=left), timeout=10)

        listed = directory.ListStaff(directory_pb2.ListStaffRequest(store_id="S-E-001"), timeout=10).staff
        everyone = directory.ListStaff(directory_pb2.ListStaffRequest(store_id="S-E-001", include_inactive=True), timeout=10).staff
        snapshot = config.GetConfigSnapshot(program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot

    assert [person.staff_id for person in listed if person.staff_id.startswith("ST-DIR")] == ["ST-DIR-2"]
    assert {person.staff_id for person in everyone if person.staff_id.startswith("ST-DIR")} == {"ST-DIR-1", "ST-DIR-2"}
    assert snapshot.version > version  # the regions and store agents pick the change up
    assert {person.staff_id: person for person in snapshot.staff}["ST-DIR-1"] == left
    # A store agent's copy of the snapshot holds its own store's staff only.
    assert {person.store_id for person in snapshot_for_store(snapshot, "S-W-001").staff} <= {"S-W-001"}
    assert "ST-DIR-2" in {person.staff_id for person in snapshot_for_store(snapshot, "S-E-001").staff}


@pytest.mark.parametrize(("change", "field"), [
    ({"staff_id": ""}, "staff.staff_id"),
    ({"store_id": "S-NOWHERE"}, "staff.store_id"),
    ({"role": directory_pb2.STAFF_ROLE_UNSPECIFIED}, "staff.role"),
    ({"name": " "}, "staff.name"),
    ({"operator_id": "OP-NOBODY"}, "staff.operator_id"),
    ({"employee_number": "x" * 33}, "staff.employee_number"),
])
def test_bad_staff_are_refused_naming_the_field_and_change_nothing(regions, change, field):
    with open_channel(regions.hq_endpoint) as channel:
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        before = config.GetConfigSnapshot(program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
        with pytest.raises(grpc.RpcError) as refused:
            directory.UpsertStaff(directory_pb2.UpsertStaffRequest(
                request_id=new_id(), staff=_staff(**{"staff_id": "ST-DIR-BAD", **change})), timeout=10)
        after = config.GetConfigSnapshot(program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot
        with pytest.raises(grpc.RpcError) as unknown_store:
            directory.ListStaff(directory_pb2.ListStaffRequest(store_id="S-NOWHERE"), timeout=10)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and refused.value.details().startswith(field)
    assert after.version == before.version and "ST-DIR-BAD" not in {person.staff_id for person in after.staff}
    assert unknown_store.value.code() == grpc.StatusCode.NOT_FOUND


def _cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chaincard.cli", *arguments], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "CHAINCARD_INSECURE": "1"})  # the fixtures' HQ runs --insecure


def test_the_staff_cli_sets_and_lists_a_stores_staff(regions):
    hq = ["--hq", regions.hq_endpoint]
    added = _cli("staff", "set", "ST-CLI-1", "--store", "S-W-001", "--name", "Guo Jing", "--role", "manager",
                 "--employee-number", "HR-7", "--email", "guo.jing@store.example", *hq)
    assert added.returncode == 0, added.stderr
    assert "ST-CLI-1 Guo Jing: manager at S-W-001, active" in added.stdout
    left = _cli("staff", "set", "ST-CLI-2", "--store", "S-W-001", "--name", "Huang Rong", "--left", *hq)
    assert left.returncode == 0 and "has left" in left.stdout, left.stderr

    listed = _cli("staff", "list", "--store", "S-W-001", *hq).stdout
    everyone = _cli("staff", "list", "--store", "S-W-001", "--all", *hq).stdout
    assert "ST-CLI-1" in listed and "manager" in listed and "HR-7" in listed and "ST-CLI-2" not in listed
    assert "guo.jing@store.example" in listed  # the digest's address (docs/adr/0056), shown to who may list staff
    assert "ST-CLI-2" in everyone and "left" in everyone

    refused = _cli("staff", "set", "ST-CLI-3", "--store", "S-NOWHERE", "--name", "Nobody", *hq)
    assert refused.returncode == 1 and refused.stderr.startswith("INVALID_ARGUMENT: staff.store_id")


def test_a_repeated_directory_change_is_answered_once_and_a_reused_request_id_is_refused(regions):
    """HQ's writes go through the command pipeline: a retry gets the first answer back (the config
    version moves once), the same request id for another change is ALREADY_EXISTS."""
    store = directory_pb2.Store(store_id="S-E-RPT", name="Hangzhou Hubin", region_code="E", franchisee_id="F-AURORA",
                                time_zone="Asia/Shanghai", active=True)
    request = directory_pb2.UpsertStoreRequest(request_id=new_id(), store=store)
    with open_channel(regions.hq_endpoint) as channel:
        directory = directory_pb2_grpc.DirectoryServiceStub(channel)
        config = program_config_pb2_grpc.ProgramConfigServiceStub(channel)
        first = directory.UpsertStore(request, timeout=10)
        version = config.GetConfigSnapshot(program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot.version
        assert directory.UpsertStore(request, timeout=10) == first
        assert config.GetConfigSnapshot(program_config_pb2.GetConfigSnapshotRequest(), timeout=10).snapshot.version == version
        renamed = directory_pb2.UpsertStoreRequest(request_id=request.request_id, store=store)
        renamed.store.name = "Hangzhou West Lake"
        with pytest.raises(grpc.RpcError) as refused:
            directory.UpsertStore(renamed, timeout=10)
        assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
        assert directory.GetStore(directory_pb2.GetStoreRequest(store_id="S-E-RPT"), timeout=10).store.name == "Hangzhou Hubin"


# ---- a region's replicas (docs/adr/0054) -----------------------------------------------------------
@pytest.fixture
def hq_sessions(migrated, database_drops):  # type: ignore[no-untyped-def]
    """HQ's handlers on a directory of their own (the shared chain's regions keep their endpoints)."""
    from chaincard.db.engine import make_engine, make_session_factory

    name = f"cctest_replicas_hq_{new_id()[-10:]}"
    engine = make_engine(migrated.url_for("hq_service", name))
    yield make_session_factory(engine)
    engine.dispose()
    database_drops.drop(name)


def _upsert(sessions, region: directory_pb2.Region) -> directory_pb2.Region:  # type: ignore[no-untyped-def]
    from chaincard.commands import UnitOfWork
    from hq_service.handlers import directory

    with sessions.begin() as session:
        return directory.upsert_region(UnitOfWork(session), directory_pb2.UpsertRegionRequest(
            request_id=new_id(), region=region)).region


def _listed(sessions) -> dict[str, directory_pb2.Region]:  # type: ignore[no-untyped-def]
    from hq_service.handlers import directory

    with sessions() as session:
        return {region.code: region for region in directory.list_regions(session)}


def test_a_region_lists_every_replica_and_endpoint_stays_the_first(hq_sessions) -> None:  # type: ignore[no-untyped-def]
    replicas = ["10.1.0.5:47200", "10.1.0.6:47200"]
    stored = _upsert(hq_sessions, directory_pb2.Region(code="E", card_prefix="11", name="East", endpoints=replicas))
    assert (stored.endpoint, list(stored.endpoints)) == (replicas[0], replicas)
    assert _listed(hq_sessions)["E"] == stored
    # One endpoint reads as it always did: no list.
    single = _upsert(hq_sessions, directory_pb2.Region(code="W", card_prefix="21", name="West", endpoint="chaincard-region-w:47200"))
    assert (single.endpoint, list(single.endpoints)) == ("chaincard-region-w:47200", [])
    dns = _upsert(hq_sessions, directory_pb2.Region(code="W", card_prefix="21", name="West",
                                                    endpoints=["dns:///chaincard-region-w-replicas.chaincard.svc:47200"]))
    assert _listed(hq_sessions)["W"] == dns


@pytest.mark.parametrize(("region", "field"), [
    (directory_pb2.Region(endpoint="10.1.0.9:47200", endpoints=["10.1.0.5:47200", "10.1.0.6:47200"]), "region.endpoint"),
    (directory_pb2.Region(endpoint="10.1.0.5:47200,10.1.0.6:47200"), "region.endpoint"),
    (directory_pb2.Region(endpoints=["region-e-0:47200", "region-e-1:47200"]), "region.endpoints"),
    (directory_pb2.Region(endpoints=["10.1.0.5:47200", "10.1.0.5:47200"]), "region.endpoints"),
    (directory_pb2.Region(endpoints=["10.1.0.5:47200", ""]), "region.endpoints[1]"),
])
def test_replica_endpoints_that_cannot_be_balanced_over_are_refused_naming_the_field(hq_sessions, region, field) -> None:  # type: ignore[no-untyped-def]
    from chaincard.errors import InvalidArgument

    region.code, region.card_prefix, region.name = "E", "11", "East"
    with pytest.raises(InvalidArgument) as refused:
        _upsert(hq_sessions, region)
    assert refused.value.field == field
    assert "E" not in _listed(hq_sessions)
