"""The settlement service as it runs: postings through the real broker into its consumer, the fee
schedule from an HQ ProgramConfigService over gRPC, then RunSettlement, GetStatement,
ListStatements and ExportStatement over gRPC (a real server on port 0)."""

from __future__ import annotations

import hashlib
import time
import uuid

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from chaincard.config import Settings
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.events import topics
from chaincard.events.envelope import wrap
from chaincard.events.kafka import ensure_topics, make_producer
from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.rpc.server import build_server
from chaincard.v1 import (
    common_pb2,
    program_config_pb2,
    program_config_pb2_grpc,
    settlement_pb2,
    settlement_pb2_grpc,
)
from settlement.bootstrap import start_settlement
from settlement.models import ClearingRecord, SettlementRun, StatementFile
from settlement.servicers import CLOSE_EARLY_METADATA
from tests.support.hostile import ALLOWED, message_strategy
from tests.support.settlement import DAY, DAY_ONE, EXPECTED_DAY_ONE_TOTALS, SNAPSHOT


class FakeHqConfig(program_config_pb2_grpc.ProgramConfigServiceServicer):
    def GetConfigSnapshot(self, request, context):  # noqa: N802 - generated name
        return program_config_pb2.GetConfigSnapshotResponse(snapshot=SNAPSHOT)


@pytest.fixture
def service(fresh_database, broker, tmp_path):
    suffix = uuid.uuid4().hex[:8]
    # Transaction ids unique to this test: the broker is shared with the rest of the session.
    events = []
    for event in DAY_ONE:
        copy = type(event)()
        copy.CopyFrom(event)
        copy.transaction.transaction_id = f"{suffix}-{event.transaction.transaction_id}"
        if event.transaction.original_transaction_id:
            copy.transaction.original_transaction_id = f"{suffix}-{event.transaction.original_transaction_id}"
        events.append(copy)
    hq = build_server("127.0.0.1:0", [(program_config_pb2_grpc.add_ProgramConfigServiceServicer_to_server, FakeHqConfig(),
                                       "chaincard.v1.ProgramConfigService")])
    url = fresh_database("settlement_service")
    settings = Settings(
        database_url=url, kafka_bootstrap=broker.bootstrap, hq_endpoint=f"127.0.0.1:{hq.port}", deployment=f"test-{suffix}",
        extra={"statements_dir": str(tmp_path / "statements"), "settlement_nightly_at": "off"}, insecure=True,
    )
    running = start_settlement(settings)
    channel = open_channel(f"127.0.0.1:{running.port}")
    engine = make_engine(url)
    try:
        yield settlement_pb2_grpc.SettlementServiceStub(channel), events, make_session_factory(engine), tmp_path / "statements"
    finally:
        channel.close()
        running.stop(grace=1)
        hq.stop(grace=1)
        engine.dispose()


def _publish(bootstrap: str, events) -> None:  # type: ignore[no-untyped-def]
    ensure_topics(bootstrap)
    producer = make_producer(bootstrap)
    for event in events:
        envelope = wrap(event, producer="region-test", aggregate_id=event.transaction.card_number)
        producer.send(topics.POSTINGS, key=event.transaction.card_number.encode(), value=envelope.SerializeToString())
    producer.flush(timeout=10)
    producer.close()


def test_run_and_read_statements_over_grpc(service, broker):
    stub, events, sessions, statements_dir = service
    _publish(broker.bootstrap, events)
    ids = [event.transaction.transaction_id for event in events]
    deadline = time.monotonic() + 60
    while True:
        with sessions() as session:
            taken = session.execute(select(func.count()).select_from(ClearingRecord).where(ClearingRecord.transaction_id.in_(ids))).scalar_one()
        if taken == len(ids) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert taken == len(ids)

    request = settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date=DAY.isoformat())
    run = stub.RunSettlement(request, timeout=60).run
    assert run.state == settlement_pb2.SETTLEMENT_RUN_STATE_COMPLETED
    assert run.manifest.net_total_fen == 0 and run.statement_count == 3
    assert stub.RunSettlement(request, timeout=60).run == run  # a retry gets the original answer
    assert stub.RunSettlement(settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date=DAY.isoformat()),
                              timeout=60).run == run  # and the day is idempotent on its own

    for franchisee, (receivable, payable, fees, net) in EXPECTED_DAY_ONE_TOTALS.items():
        statement = stub.GetStatement(settlement_pb2.GetStatementRequest(franchisee_id=franchisee, business_date=DAY.isoformat()),
                                      timeout=10).statement
        assert (statement.receivable_fen, statement.payable_fen, statement.fees_fen, statement.net_fen) == (receivable, payable, fees, net)
    listed = stub.ListStatements(settlement_pb2.ListStatementsRequest(franchisee_id="F-BAMBOO"), timeout=10).statements
    assert [(s.statement_id, s.net_fen) for s in listed] == [("ST-2026-11-20-F-BAMBOO", 22_709)]

    data = b""
    last = None
    for response in stub.ExportStatement(settlement_pb2.ExportStatementRequest(
            statement_id="ST-2026-11-20-F-AURORA", format=common_pb2.EXPORT_FORMAT_PDF), timeout=60):
        data += response.chunk.data
        last = response.chunk
    assert last is not None and last.last and last.sha256_hex == hashlib.sha256(data).hexdigest()
    with sessions() as session:
        listed_hash = session.get(StatementFile, ("ST-2026-11-20-F-AURORA", "pdf")).sha256
    assert last.sha256_hex == listed_hash
    assert (statements_dir / "2026-11-20" / "ST-2026-11-20-F-AURORA.pdf").read_bytes() == data

    records = list(stub.StreamClearingRecords(settlement_pb2.StreamClearingRecordsRequest(
        business_date=DAY.isoformat(), franchisee_id="F-HQ"), timeout=10))
    assert {r.record.transaction_id.split("-")[-1] for r in records} == {"T05", "T06", "T07", "T10"}
    assert all(r.record.settled_business_date == DAY.isoformat() for r in records)

    with pytest.raises(grpc.RpcError) as missing:
        stub.GetStatement(settlement_pb2.GetStatementRequest(franchisee_id="F-NOBODY", business_date=DAY.isoformat()), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
    open_day = settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date="2099-01-01")
    with pytest.raises(grpc.RpcError) as refused:
        stub.RunSettlement(open_day, timeout=10)
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    early = stub.RunSettlement(open_day, timeout=60, metadata=[(CLOSE_EARLY_METADATA, "1")]).run
    assert early.state == settlement_pb2.SETTLEMENT_RUN_STATE_COMPLETED and early.manifest.net_total_fen == 0


def test_hostile_settlement_requests_are_refused_precisely_and_settle_nothing(service):
    """The settlement service's mutating RPC under generated hostile requests (issue 7): a precise
    status, never INTERNAL or a hang, and no day settled by a refused request."""
    stub = service[0]
    sessions = service[2]

    def completed_runs() -> int:
        with sessions() as session:
            return session.scalar(select(func.count()).select_from(SettlementRun).where(SettlementRun.state == "COMPLETED"))

    hostile_dates = st.one_of(
        st.text(max_size=40), st.sampled_from(["", "2026-02-30", "9999-12-31", "0001-01-01", "2026-11-25\x00",
                                              "2026-1-5", "２０２６-１１-２５", "'; DROP TABLE settlement_runs; --"]),
    )
    requests = st.one_of(
        message_strategy(settlement_pb2.RunSettlementRequest.DESCRIPTOR),
        st.builds(lambda date: settlement_pb2.RunSettlementRequest(request_id=new_id(), business_date=date), hostile_dates),
    )

    @settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(requests)
    def attempt(request: settlement_pb2.RunSettlementRequest) -> None:
        before = completed_runs()
        try:
            stub.RunSettlement(request, timeout=10)
            code = grpc.StatusCode.OK
        except grpc.RpcError as error:
            code = error.code()
        assert code in ALLOWED, (code, request)
        if code != grpc.StatusCode.OK:
            assert completed_runs() == before, request

    attempt()
