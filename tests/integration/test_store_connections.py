"""Stores online/offline with their offline queues (issue 19): a store agent's PullConfigSnapshot
is recorded by its region, and StoreConnectionService.ListStoreConnections shows it, kept to the
operator's scope; over real gRPC, PostgreSQL and HQ's tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from alembic import command
from sqlalchemy import create_engine, text

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import alembic_config, upgrade_to_head
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.security.client import bearer_metadata, issue_token
from chaincard.security.identity import Role, Scope
from chaincard.v1 import operators_pb2, operators_pb2_grpc, store_sync_pb2, store_sync_pb2_grpc
from hq_service.operators import bootstrap_admin
from region_service.models import Base as RegionBase
from tests.support.migrations import model_differences, table_names
from tests.support.stores import add_store, region_endpoint

OFFLINE_AFTER_SECONDS = 180  # Settings.store_offline_after_seconds, the default the regions run with
QUIET = "S-E-Q01"  # a store of F-AURORA in region E whose agent never calls


@pytest.fixture(scope="module")
def east(regions) -> Iterator[grpc.Channel]:  # type: ignore[no-untyped-def]
    with open_channel(region_endpoint(regions.hq_endpoint, "E")) as channel:
        yield channel


@pytest.fixture(scope="module")
def tokens(regions) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Operators created at HQ by a bootstrapped HQ admin, each logged in: operator id → token."""
    operators = {
        "OP-HA": (Role.HQ_ADMIN, Scope.chain()),
        "OP-RM-E": (Role.REGIONAL_MANAGER, Scope.region("E")),
        "OP-RM-W": (Role.REGIONAL_MANAGER, Scope.region("W")),
        "OP-FA-AURORA": (Role.FRANCHISEE_ADMIN, Scope.franchisee("F-AURORA")),
        "OP-SM-E001": (Role.STORE_MANAGER, Scope.store("S-E-001")),
        "OP-CASHIER": (Role.CASHIER, Scope.store("S-E-001")),
        "OP-CC": (Role.CALL_CENTER, Scope.chain()),
    }
    engine = make_engine(regions.database_urls["hq"])
    try:
        with make_session_factory(engine).begin() as session:
            bootstrap_admin(session, "OP-STORES-ADMIN", "stores admin password", login_name="stores-admin")
    finally:
        engine.dispose()
    with open_channel(regions.hq_endpoint) as hq:
        admin = issue_token(hq, "stores-admin", "stores admin password").token
        issued = {}
        for operator_id, (role, scope) in operators.items():
            operators_pb2_grpc.OperatorServiceStub(hq).UpsertOperator(operators_pb2.UpsertOperatorRequest(
                request_id=new_id(), initial_password=f"{operator_id} password", operator=operators_pb2.Operator(
                    operator_id=operator_id, login_name=operator_id.lower(), display_name=operator_id, role=role.value,
                    scope=scope.to_proto(), active=True)), timeout=10, metadata=bearer_metadata(admin))
            issued[operator_id] = issue_token(hq, operator_id.lower(), f"{operator_id} password").token
    return issued


@pytest.fixture(scope="module")
def quiet_store(regions, east, tokens) -> str:  # type: ignore[no-untyped-def]
    add_store(regions.hq_endpoint, QUIET, "Quiet 安静店")
    deadline = time.monotonic() + 20
    while QUIET not in _by_store(_list(east, tokens["OP-HA"])):  # the region's copy of HQ's directory catches up
        assert time.monotonic() < deadline, f"region E never listed {QUIET}"
        time.sleep(0.2)
    return QUIET


def _list(channel: grpc.Channel, token: str, **fields: str) -> store_sync_pb2.ListStoreConnectionsResponse:
    return store_sync_pb2_grpc.StoreConnectionServiceStub(channel).ListStoreConnections(
        store_sync_pb2.ListStoreConnectionsRequest(**fields), timeout=10, metadata=bearer_metadata(token))


def _refused(channel: grpc.Channel, token: str, **fields: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as refused:
        _list(channel, token, **fields)
    return refused.value


def _pull(channel: grpc.Channel, store_id: str, depth: int, oldest: datetime | None = None) -> None:
    request = store_sync_pb2.PullConfigSnapshotRequest(store_id=store_id, status_reported=True, offline_queue_depth=depth,
                                                       agent_version="9.9.9")
    request.agent_started_at.FromDatetime(datetime(2026, 12, 5, 8, 0, tzinfo=UTC))
    if oldest is not None:
        request.oldest_queued_at.FromDatetime(oldest)
    store_sync_pb2_grpc.StoreSyncServiceStub(channel).PullConfigSnapshot(request, timeout=10)


def _by_store(answer: store_sync_pb2.ListStoreConnectionsResponse) -> dict[str, store_sync_pb2.StoreConnection]:
    return {store.store_id: store for store in answer.stores}


def _age_contact(regions, store_id: str, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """The store's last contact moved ``seconds`` into the past: its agent has been silent that long."""
    engine = create_engine(regions.database_urls["E"])
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE store_connections SET last_contact_at = last_contact_at - make_interval(secs => :s) "
                                    "WHERE store_id = :id"), {"s": seconds, "id": store_id})
    finally:
        engine.dispose()


def test_a_pulling_store_is_online_with_its_queue_and_a_silent_one_goes_offline(regions, east, tokens, quiet_store):
    before = _by_store(_list(east, tokens["OP-HA"]))
    assert set(before) == {"S-E-001", "S-E-002", quiet_store}  # the region's stores, from HQ's directory
    never = before[quiet_store]
    assert not never.online and not never.HasField("last_contact_at") and not never.queue_reported  # never seen

    oldest = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
    _pull(east, "S-E-001", 7, oldest)
    answer = _list(east, tokens["OP-HA"])
    assert answer.offline_after_seconds == OFFLINE_AFTER_SECONDS
    stores = _by_store(answer)
    first = stores["S-E-001"]
    assert (first.online, first.queue_reported, first.offline_queue_depth) == (True, True, 7)
    assert (first.region_code, first.franchisee_id, first.agent_version) == ("E", "F-HQ", "9.9.9")
    assert first.oldest_queued_at.ToDatetime(tzinfo=UTC) == oldest
    assert first.agent_started_at.ToDatetime(tzinfo=UTC) == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
    assert abs(first.last_contact_at.ToDatetime(tzinfo=UTC) - answer.as_of.ToDatetime(tzinfo=UTC)) < timedelta(seconds=30)
    assert not stores[quiet_store].online

    _pull(east, "S-E-001", 0)  # the queue drained: the next pull says so, one row per store
    emptied = _by_store(_list(east, tokens["OP-HA"]))["S-E-001"]
    assert (emptied.online, emptied.offline_queue_depth) == (True, 0) and not emptied.HasField("oldest_queued_at")

    _age_contact(regions, "S-E-001", OFFLINE_AFTER_SECONDS - 20)
    assert _by_store(_list(east, tokens["OP-HA"]))["S-E-001"].online  # silent, but not long enough
    _age_contact(regions, "S-E-001", 40)
    silent = _by_store(_list(east, tokens["OP-HA"]))["S-E-001"]
    assert not silent.online and silent.offline_queue_depth == 0 and silent.HasField("last_contact_at")

    _pull(east, "S-E-001", 2)  # back
    assert _by_store(_list(east, tokens["OP-HA"]))["S-E-001"].online


def test_an_agent_older_than_the_status_fields_is_seen_but_its_queue_unknown(east, tokens):
    store_sync_pb2_grpc.StoreSyncServiceStub(east).PullConfigSnapshot(
        store_sync_pb2.PullConfigSnapshotRequest(store_id="S-E-002"), timeout=10)
    seen = _by_store(_list(east, tokens["OP-HA"]))["S-E-002"]
    assert seen.online and not seen.queue_reported and seen.agent_version == ""


def test_a_negative_queue_depth_is_refused_naming_the_field(east):
    with pytest.raises(grpc.RpcError) as refused:
        _pull(east, "S-E-001", -1)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "offline_queue_depth" in refused.value.details()


def test_operators_see_the_stores_of_their_scope_only(regions, east, tokens, quiet_store):
    _pull(east, "S-E-001", 3)
    _pull(east, "S-E-002", 5)
    assert set(_by_store(_list(east, tokens["OP-RM-E"]))) == {"S-E-001", "S-E-002", quiet_store}
    assert _list(east, tokens["OP-RM-W"]).stores == []  # West's manager asks the East: none of its stores are here
    assert _refused(east, tokens["OP-RM-W"], region_code="E").code() == grpc.StatusCode.PERMISSION_DENIED

    franchisee = _by_store(_list(east, tokens["OP-FA-AURORA"]))
    assert set(franchisee) == {"S-E-002", quiet_store} and franchisee["S-E-002"].offline_queue_depth == 5
    assert not franchisee[quiet_store].online
    assert _refused(east, tokens["OP-FA-AURORA"], franchisee_id="F-HQ").code() == grpc.StatusCode.PERMISSION_DENIED

    manager = _by_store(_list(east, tokens["OP-SM-E001"]))
    assert set(manager) == {"S-E-001"} and manager["S-E-001"].offline_queue_depth == 3
    other = _refused(east, tokens["OP-SM-E001"], store_id="S-E-002")
    assert other.code() == grpc.StatusCode.PERMISSION_DENIED and "S-E-002" in other.details()

    for role in ("OP-CASHIER", "OP-CC"):
        assert _refused(east, tokens[role]).code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_migration_matches_the_model_and_goes_down(fresh_database):  # type: ignore[no-untyped-def]
    url = fresh_database("store_connections_migration")
    upgrade_to_head("region_service", url)
    assert "store_connections" in table_names(url)
    assert model_differences(url, RegionBase.metadata, {"store_connections"}) == []
    command.downgrade(alembic_config("region_service", url), "0033")
    assert "store_connections" not in table_names(url)
