"""HQ's bulk coupon issue (Q2) over real gRPC, PostgreSQL and the broker: HQ stores the streamed job,
its worker sends the cards to their home regions, each card gets one coupon per job however often a
chunk or the whole request is sent, and bad requests are refused precisely with nothing stored."""

from __future__ import annotations

import time
from collections.abc import Iterator

import grpc
import pytest

from chaincard.db.engine import make_engine, make_session_factory
from chaincard.errors import PermissionDenied
from chaincard.ids import make_card_number, new_id
from chaincard.rpc.channels import open_channel
from chaincard.security.identity import Principal, Role, Scope, ScopeLevel, acting_as
from chaincard.v1 import cards_pb2, coupon_issue_pb2, coupon_issue_pb2_grpc
from hq_service.handlers.bulk_issue import start_bulk_issue
from tests.support.bulk_issue import job_coupons, set_coupon_template, start_messages, wait_for_job
from tests.support.cards import DEADLINE, open_card
from tests.support.regions import RunningRegions
from tests.support.sql import rows, scalar

# HQ's views in this module must hold its own cards' events only (tests/integration/conftest.py).
OWN_BROKER = True

TEMPLATE = "BULK-5"
UNKNOWN = coupon_issue_pb2.BULK_ISSUE_SKIP_REASON_UNKNOWN_CARD
NOT_ACTIVE = coupon_issue_pb2.BULK_ISSUE_SKIP_REASON_CARD_NOT_ACTIVE


@pytest.fixture(scope="module")
def hq(regions: RunningRegions) -> Iterator[grpc.Channel]:
    with open_channel(regions.hq_endpoint) as channel:
        set_coupon_template(channel, TEMPLATE)
        set_coupon_template(channel, "BULK-OFF", active=False)
        yield channel


@pytest.fixture(scope="module")
def bulk(hq: grpc.Channel) -> coupon_issue_pb2_grpc.BulkCouponIssueServiceStub:
    return coupon_issue_pb2_grpc.BulkCouponIssueServiceStub(hq)


@pytest.fixture(scope="module")
def cards(regions: RunningRegions) -> dict[str, list[str]]:
    """Three active cards in E, two in W, and a frozen one in E."""
    east = [open_card(regions.clients["E"]) for _ in range(4)]
    west = [open_card(regions.clients["W"], "S-W-001") for _ in range(2)]
    regions.clients["E"].cards.FreezeCard(cards_pb2.FreezeCardRequest(
        request_id=new_id(), store_id="S-E-001", card_number=east[3], reason="test: frozen"), timeout=DEADLINE)
    return {"E": east[:3], "W": west, "frozen": [east[3]]}


def _start(bulk: coupon_issue_pb2_grpc.BulkCouponIssueServiceStub, request_id: str, cards: list[str], *,
           template: str = TEMPLATE, reason: str = "spring campaign", per_message: int = 1000,
           filter_name: str = "") -> coupon_issue_pb2.BulkIssueJob:
    return bulk.StartBulkIssue(start_messages(request_id, template, reason, cards, filter_name=filter_name,
                                              per_message=per_message), timeout=DEADLINE).job


def _jobs(regions: RunningRegions) -> int:
    return int(scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM bulk_issue_jobs"))


def test_each_card_gets_one_coupon_and_the_others_are_counted_by_reason(regions, bulk, cards) -> None:  # type: ignore[no-untyped-def]
    never_opened = make_card_number("11", 9_999_999_999)  # region E's prefix, no such card there
    no_region = make_card_number("99", 1)  # no region of the chain has prefix 99
    wanted = [*cards["E"], *cards["W"], *cards["frozen"], never_opened, no_region]
    # Three messages of two cards, one card named twice across messages.
    job = _start(bulk, new_id(), [*wanted, cards["E"][0]], per_message=2)
    assert job.cards_total == len(wanted)
    done = wait_for_job(bulk, job.job_id)
    assert done.state == coupon_issue_pb2.BULK_ISSUE_STATE_COMPLETED, done.last_error
    assert (done.cards_done, done.cards_issued, done.cards_skipped) == (len(wanted), 5, 3)
    assert {(item.reason, item.count) for item in done.skipped_by_reason} == {(UNKNOWN, 2), (NOT_ACTIVE, 1)}
    assert done.HasField("finished_at")
    for code in ("E", "W"):
        held = job_coupons(regions.database_urls[code], job.job_id)
        assert held.keys() == set(cards[code])
        assert all(len(codes) == 1 for codes in held.values())
    outcomes = dict(rows(regions.database_urls["hq"], "SELECT card_number, outcome FROM bulk_issue_cards WHERE job_id = :job",
                         job=job.job_id))
    assert outcomes == {**dict.fromkeys([*cards["E"], *cards["W"]], "ISSUED"), cards["frozen"][0]: "CARD_NOT_ACTIVE",
                        never_opened: "UNKNOWN_CARD", no_region: "UNKNOWN_CARD"}
    audited = rows(regions.database_urls["hq"], "SELECT action FROM audit_entries WHERE target_id = :job ORDER BY occurred_at",
                   job=job.job_id)
    assert [action for (action,) in audited] == ["chaincard.v1.BulkCouponIssueService/StartBulkIssue",
                                                 "coupon.bulk_issue.completed"]


def test_the_same_request_is_the_same_job_and_another_payload_is_refused(regions, bulk, cards) -> None:  # type: ignore[no-untyped-def]
    request_id = new_id()
    first = _start(bulk, request_id, cards["E"])
    wait_for_job(bulk, first.job_id)
    again = _start(bulk, request_id, list(reversed(cards["E"])), per_message=1)  # same cards, another order and split
    assert again.job_id == first.job_id
    time.sleep(1.5)  # a second job, had one been started, would have issued by now
    held = job_coupons(regions.database_urls["E"], first.job_id)
    assert {card: len(codes) for card, codes in held.items()} == dict.fromkeys(cards["E"], 1)
    assert _jobs_of_request(regions, request_id) == 1
    jobs = _jobs(regions)
    with pytest.raises(grpc.RpcError) as refused:
        _start(bulk, request_id, cards["E"][:2])
    assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert first.job_id in refused.value.details()
    assert _jobs(regions) == jobs


def _jobs_of_request(regions: RunningRegions, request_id: str) -> int:
    return int(scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM bulk_issue_jobs WHERE request_id = :id", id=request_id))


def test_a_chunk_sent_again_issues_nothing_twice(regions, bulk, cards) -> None:  # type: ignore[no-untyped-def]
    job = wait_for_job(bulk, _start(bulk, new_id(), cards["E"]).job_id)
    before = job_coupons(regions.database_urls["E"], job.job_id)
    region = coupon_issue_pb2_grpc.CouponBatchServiceStub(open_channel(_endpoint(regions, "E")))
    # After a crash HQ sends the chunk again; even cut differently (another request id) it issues nothing new.
    for request_id in (new_id(), new_id()):
        answer = region.IssueCouponBatch(coupon_issue_pb2.IssueCouponBatchRequest(
            request_id=request_id, job_id=job.job_id, template_code=TEMPLATE, reason="spring campaign",
            card_numbers=cards["E"][1:]), timeout=DEADLINE)
        assert [(result.card_number, result.coupon_code) for result in answer.results] == [
            (card, before[card][0]) for card in cards["E"][1:]]
    assert job_coupons(regions.database_urls["E"], job.job_id) == before
    events = scalar(regions.database_urls["E"], "SELECT COUNT(*) FROM outbox WHERE event_type LIKE '%CouponIssued' "
                    "AND message_key = ANY(:cards)", cards=cards["E"])
    assert events == sum(len(codes) for codes in _all_coupons(regions, cards["E"]).values())


def _all_coupons(regions: RunningRegions, cards: list[str]) -> dict[str, list[str]]:
    held: dict[str, list[str]] = {}
    for card, code in rows(regions.database_urls["E"], "SELECT card_number, coupon_code FROM coupons WHERE card_number = ANY(:cards)",
                           cards=cards):
        held.setdefault(card, []).append(code)
    return held


def _endpoint(regions: RunningRegions, code: str) -> str:
    return str(scalar(regions.database_urls["hq"], "SELECT endpoint FROM regions WHERE code = :code", code=code))


def test_a_region_refuses_a_card_homed_elsewhere(regions, cards) -> None:  # type: ignore[no-untyped-def]
    region = coupon_issue_pb2_grpc.CouponBatchServiceStub(open_channel(_endpoint(regions, "E")))
    with pytest.raises(grpc.RpcError) as refused:
        region.IssueCouponBatch(coupon_issue_pb2.IssueCouponBatchRequest(
            request_id=new_id(), job_id=new_id(), template_code=TEMPLATE, reason="x",
            card_numbers=[cards["E"][0], cards["W"][0]]), timeout=DEADLINE)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "card_numbers[1]" in refused.value.details()


@pytest.mark.parametrize(("label", "template", "reason", "stream", "status", "names"), [
    ("no reason", TEMPLATE, "", [["E0"]], grpc.StatusCode.INVALID_ARGUMENT, "stream[0].start.reason"),
    ("a bad card in the second message", TEMPLATE, "r", [["E0"], ["12AB"]], grpc.StatusCode.INVALID_ARGUMENT,
     "stream[1].card_numbers[0]"),
    ("a mistyped card number", TEMPLATE, "r", [["E0", "MISTYPED"]], grpc.StatusCode.INVALID_ARGUMENT, "stream[0].card_numbers[1]"),
    ("no cards", TEMPLATE, "r", [[]], grpc.StatusCode.INVALID_ARGUMENT, "card_numbers"),
    ("no such template", "NOPE", "r", [["E0"]], grpc.StatusCode.FAILED_PRECONDITION, "stream[0].start.template_code"),
    ("an inactive template", "BULK-OFF", "r", [["E0"]], grpc.StatusCode.FAILED_PRECONDITION, "not active"),
])
def test_bad_requests_are_refused_naming_the_field_and_store_nothing(regions, bulk, cards, label, template, reason,  # type: ignore[no-untyped-def]
                                                                  stream, status, names) -> None:
    def card(text: str) -> str:
        if text == "E0":
            return str(cards["E"][0])
        if text == "MISTYPED":
            number = cards["E"][0]
            return number[:-1] + str((int(number[-1]) + 1) % 10)
        return text

    messages = [coupon_issue_pb2.StartBulkIssueRequest(card_numbers=[card(text) for text in part]) for part in stream]
    messages[0].request_id = new_id()
    messages[0].start.CopyFrom(coupon_issue_pb2.BulkIssueStart(template_code=template, reason=reason))
    jobs = _jobs(regions)
    with pytest.raises(grpc.RpcError) as refused:
        bulk.StartBulkIssue(iter(messages), timeout=DEADLINE)
    assert refused.value.code() == status, (label, refused.value.details())
    assert names in refused.value.details(), label
    assert _jobs(regions) == jobs


def test_a_filter_and_cards_together_or_an_unknown_filter_are_refused(regions, bulk, cards) -> None:  # type: ignore[no-untyped-def]
    jobs = _jobs(regions)
    for wanted, filter_name, status in (([cards["E"][0]], "west-sv", grpc.StatusCode.INVALID_ARGUMENT),
                                        ([], "no-such-filter", grpc.StatusCode.NOT_FOUND)):
        with pytest.raises(grpc.RpcError) as refused:
            _start(bulk, new_id(), wanted, filter_name=filter_name)
        assert refused.value.code() == status
        assert "filter_name" in refused.value.details()
    assert _jobs(regions) == jobs


def test_a_saved_filter_selects_the_active_cards_of_hqs_card_view(regions, bulk, cards) -> None:  # type: ignore[no-untyped-def]
    saved = bulk.UpsertMemberFilter(coupon_issue_pb2.UpsertMemberFilterRequest(
        request_id=new_id(), filter=coupon_issue_pb2.MemberFilter(name="west-sv", home_region="W", card_type_code="SV")),
        timeout=DEADLINE).filter
    assert saved.name == "west-sv" and saved.HasField("updated_at")
    assert [item.name for item in bulk.ListMemberFilters(coupon_issue_pb2.ListMemberFiltersRequest(), timeout=DEADLINE).filters] \
        == ["west-sv"]
    hq = regions.database_urls["hq"]
    deadline = time.monotonic() + 60
    while int(scalar(hq, "SELECT COUNT(*) FROM card_views WHERE card_number = ANY(:cards)", cards=cards["W"])) < 2:
        assert time.monotonic() < deadline, "HQ's card view never showed the W cards"
        time.sleep(0.2)
    selected = {card for (card,) in rows(hq, "SELECT card_number FROM card_views WHERE home_region = 'W' AND state = 2 "
                                             "AND card_type_code = 'SV'")}
    job = wait_for_job(bulk, _start(bulk, new_id(), [], filter_name="west-sv").job_id)
    assert job.filter_name == "west-sv"
    assert (job.cards_total, job.cards_issued) == (len(selected), len(selected))
    assert set(job_coupons(regions.database_urls["W"], job.job_id)) == selected
    assert job_coupons(regions.database_urls["E"], job.job_id) == {}
    listed = bulk.ListBulkIssues(coupon_issue_pb2.ListBulkIssuesRequest(limit=1), timeout=DEADLINE).jobs
    assert [item.job_id for item in listed] == [job.job_id]


def test_a_regional_manager_may_issue_only_to_their_regions_cards(regions, cards) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(regions.database_urls["hq"])
    sessions = make_session_factory(engine)
    east_manager = Principal(operator_id="rm-east", role=Role.REGIONAL_MANAGER, scope=Scope.region("E"))
    try:
        jobs = _jobs(regions)
        with acting_as(east_manager), pytest.raises(PermissionDenied, match=cards["W"][0]):
            start_bulk_issue(sessions, start_messages(new_id(), TEMPLATE, "r", [cards["E"][0], cards["W"][0]]))
        store_manager = Principal(operator_id="sm", role=Role.STORE_MANAGER, scope=Scope(ScopeLevel.STORE, "S-E-001"))
        with acting_as(store_manager), pytest.raises(PermissionDenied, match="store scope"):
            start_bulk_issue(sessions, start_messages(new_id(), TEMPLATE, "r", [cards["E"][0]]))
        assert _jobs(regions) == jobs
        with acting_as(east_manager):
            job = start_bulk_issue(sessions, start_messages(new_id(), TEMPLATE, "r", cards["E"])).job
        assert (job.region_code, job.operator_id) == ("E", "rm-east")
    finally:
        engine.dispose()


def test_the_migration_creates_the_tables_the_models_describe(fresh_database) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    from chaincard.db.migrate import alembic_config, upgrade_to_head
    from hq_service.bulk_issue_models import BulkIssueJobRow

    mine = {"member_filters", "bulk_issue_jobs", "bulk_issue_cards", "bulk_issue_cursors"}
    url = fresh_database("bulk_issue_migration")
    upgrade_to_head("hq_service", url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert mine <= set(inspect(connection).get_table_names())
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = [diff for diff in compare_metadata(context, BulkIssueJobRow.metadata)
                           if any(getattr(getattr(item, "table", item), "name", item) in mine
                                  for entry in (diff if isinstance(diff, list) else [diff]) for item in entry)]
        assert differences == []
        command.downgrade(alembic_config("hq_service", url), "0014")
        with engine.connect() as connection:
            assert not mine & set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def test_a_region_refusing_the_chunk_itself_fails_the_job_saying_why(regions, bulk, cards) -> None:  # type: ignore[no-untyped-def]
    # Set-up: a job on a template deactivated after the job was stored (written as HQ stores one,
    # since HQ itself refuses to start a job on an inactive template).
    from hq_service.bulk_issue_models import BulkIssueCard, BulkIssueCursor, BulkIssueJobRow

    engine = make_engine(regions.database_urls["hq"])
    job_id = new_id()
    try:
        with make_session_factory(engine).begin() as session:
            session.add(BulkIssueJobRow(job_id=job_id, request_id=new_id(), fingerprint="-", template_code="BULK-OFF",
                                        reason="deactivated meanwhile", filter_name="", state="RUNNING", operator_id="",
                                        region_code="", cards_total=1, cards_issued=0, cards_skipped_unknown=0,
                                        cards_skipped_not_active=0, last_error=""))
            session.flush()
            session.add(BulkIssueCard(job_id=job_id, card_number=cards["E"][0], region_code="E", outcome="", coupon_code="",
                                      detail=""))
            session.add(BulkIssueCursor(job_id=job_id, region_code="E", last_card_number="", done=False))
    finally:
        engine.dispose()
    failed = wait_for_job(bulk, job_id)
    assert failed.state == coupon_issue_pb2.BULK_ISSUE_STATE_FAILED
    assert "FAILED_PRECONDITION" in failed.last_error and "BULK-OFF" in failed.last_error
    assert (failed.cards_done, failed.cards_issued) == (0, 0)
    assert job_coupons(regions.database_urls["E"], job_id) == {}
    assert rows(regions.database_urls["hq"], "SELECT action, outcome FROM audit_entries WHERE target_id = :job",
                job=job_id) == [("coupon.bulk_issue.failed", "FAILED_PRECONDITION")]
