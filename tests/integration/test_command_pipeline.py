"""The one command pipeline (chaincard.commands), run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Integer, String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chaincard.commands import CommandRunner, CommitThenRefuse, UnitOfWork, operation_of, response_type_of
from chaincard.db.base import new_metadata
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.idempotency import IdempotencyKeyColumns
from chaincard.errors import AlreadyExists, FailedPrecondition, InvalidArgument, PermissionDenied
from chaincard.v1 import directory_pb2, transactions_pb2


class Base(DeclarativeBase):
    metadata = new_metadata()


class Keys(IdempotencyKeyColumns, Base):
    pass


class Effect(Base):
    """A row a command writes, so a test can count how often its body took effect."""

    __tablename__ = "effects"
    effect_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))


@pytest.fixture
def runner(sqlite_or_postgresql_url):
    engine = make_engine(sqlite_or_postgresql_url)
    Base.metadata.create_all(engine)
    yield CommandRunner(make_session_factory(engine), Keys, UnitOfWork)
    engine.dispose()


def _upsert_region(uow: UnitOfWork, request: directory_pb2.UpsertRegionRequest) -> directory_pb2.UpsertRegionResponse:
    if not request.region.code:
        raise InvalidArgument("region.code", "is required")
    uow.session.add(Effect(name=request.region.code))
    uow.session.flush()
    return directory_pb2.UpsertRegionResponse(region=request.region)


def _effects(runner: CommandRunner) -> int:
    with runner.session_factory() as session:
        return session.execute(select(func.count()).select_from(Effect)).scalar_one()


def test_the_operation_and_answer_type_come_from_the_request_type():
    assert operation_of(transactions_pb2.CheckoutRequest) == "Checkout"
    assert response_type_of(transactions_pb2.CheckoutRequest) is transactions_pb2.CheckoutResponse
    with pytest.raises(TypeError):
        operation_of(transactions_pb2.CheckoutResponse)


def test_a_repeat_replays_the_answer_and_takes_effect_once(runner):
    request = directory_pb2.UpsertRegionRequest(request_id="r-1", region=directory_pb2.Region(code="E", name="East"))
    first = runner.run(_upsert_region, request)
    again = runner.run(_upsert_region, request)
    assert again == first
    assert _effects(runner) == 1


def test_the_same_id_for_another_request_is_already_exists_and_writes_nothing(runner):
    runner.run(_upsert_region, directory_pb2.UpsertRegionRequest(request_id="r-1", region=directory_pb2.Region(code="E")))
    with pytest.raises(AlreadyExists):
        runner.run(_upsert_region, directory_pb2.UpsertRegionRequest(request_id="r-1", region=directory_pb2.Region(code="W")))
    assert _effects(runner) == 1


def test_a_refused_request_changes_nothing_and_is_not_remembered(runner):
    with pytest.raises(InvalidArgument):
        runner.run(_upsert_region, directory_pb2.UpsertRegionRequest(request_id="r-2", region=directory_pb2.Region()))
    with pytest.raises(InvalidArgument, match="request_id"):
        runner.run(_upsert_region, directory_pb2.UpsertRegionRequest(region=directory_pb2.Region(code="E")))
    assert _effects(runner) == 0
    # The id was never stored: the corrected request under it goes through.
    runner.run(_upsert_region, directory_pb2.UpsertRegionRequest(request_id="r-2", region=directory_pb2.Region(code="E")))
    assert _effects(runner) == 1


def test_concurrent_twins_take_effect_once(runner):
    request = directory_pb2.UpsertRegionRequest(request_id="twin", region=directory_pb2.Region(code="E"))
    answers, barrier = [], threading.Barrier(5)

    def attempt() -> None:
        barrier.wait()
        answers.append(runner.run(_upsert_region, request))

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 5 and all(answer == answers[0] for answer in answers)
    assert _effects(runner) == 1


def test_a_refusal_that_keeps_its_writes_commits_them_and_remembers_no_answer(runner):
    """A wrong PIN is counted even though the call is refused (docs/adr/0013): the handler raises
    CommitThenRefuse, the pipeline commits what it wrote, and the same id may be sent again."""
    request = directory_pb2.UpsertRegionRequest(request_id="r-3", region=directory_pb2.Region(code="E"))

    def count_a_failure(uow: UnitOfWork, request: directory_pb2.UpsertRegionRequest) -> directory_pb2.UpsertRegionResponse:
        uow.session.add(Effect(name="failure counted"))
        raise CommitThenRefuse(PermissionDenied("wrong PIN"))

    with pytest.raises(PermissionDenied, match="^wrong PIN$"):
        runner.run(count_a_failure, request)
    assert _effects(runner) == 1
    runner.run(_upsert_region, request)
    assert _effects(runner) == 2


def test_a_twin_refused_for_what_its_first_attempt_did_meanwhile_gets_that_attempts_answer(runner, sqlite_or_postgresql_url):
    """Found by a chaos run (docs/reliability.md, seed 89162): a till's VoidSale was sent again while
    the first attempt was still running; the second found no answer, waited on the first one's locks,
    then saw the sale voided and refused "already voided" — the till was told FAILED_PRECONDITION for
    a void that was posted. The first attempt's answer is the answer."""
    if sqlite_or_postgresql_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writing transaction at a time: a twin starts only once the first committed")
    request = directory_pb2.UpsertRegionRequest(request_id="late-twin", region=directory_pb2.Region(code="E"))

    def once(uow: UnitOfWork, request: directory_pb2.UpsertRegionRequest) -> directory_pb2.UpsertRegionResponse:
        if uow.session.execute(select(func.count()).select_from(Effect)).scalar_one():
            raise FailedPrecondition("region E was already added")
        return _upsert_region(uow, request)

    first: list[directory_pb2.UpsertRegionResponse] = []

    def late_twin(uow: UnitOfWork, request: directory_pb2.UpsertRegionRequest) -> directory_pb2.UpsertRegionResponse:
        # This attempt found no answer; the first one, still running, commits now.
        worker = threading.Thread(target=lambda: first.append(runner.run(once, request)))
        worker.start()
        worker.join(30)
        return once(uow, request)

    answer = runner.run(late_twin, request)
    assert first and answer == first[0]
    assert _effects(runner) == 1
    # A refusal with no twin behind it is still a refusal.
    with pytest.raises(FailedPrecondition):
        runner.run(once, directory_pb2.UpsertRegionRequest(request_id="other", region=directory_pb2.Region(code="E")))
