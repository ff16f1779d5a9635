"""One contract suite for the shared persistence pieces, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import DeclarativeBase

from chaincard.db.base import new_metadata
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.idempotency import IdempotencyKeyColumns, remember, replay_or_reserve
from chaincard.db.inbox import ProcessedEventColumns, claim_event
from chaincard.errors import AlreadyExists, InvalidArgument
from chaincard.v1 import directory_pb2


class Base(DeclarativeBase):
    metadata = new_metadata()


class Processed(ProcessedEventColumns, Base):
    pass


class Keys(IdempotencyKeyColumns, Base):
    pass


@pytest.fixture
def sessions(sqlite_or_postgresql_url):
    engine = make_engine(sqlite_or_postgresql_url)
    Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_an_event_is_claimed_once_per_consumer(sessions):
    with sessions.begin() as session:
        assert claim_event(session, Processed, "hq", "event-1")
    with sessions.begin() as session:
        assert not claim_event(session, Processed, "hq", "event-1")
        assert claim_event(session, Processed, "settlement", "event-1")


def test_a_rolled_back_claim_leaves_no_trace(sessions):
    with pytest.raises(RuntimeError), sessions.begin() as session:
        claim_event(session, Processed, "hq", "event-2")
        raise RuntimeError("the effect failed")
    with sessions.begin() as session:
        assert claim_event(session, Processed, "hq", "event-2")


def test_idempotency_replays_and_refuses_a_changed_payload(sessions):
    request = directory_pb2.UpsertRegionRequest(request_id="r-1", region=directory_pb2.Region(code="E"))
    answer = directory_pb2.UpsertRegionResponse(region=request.region)
    with sessions.begin() as session:
        assert replay_or_reserve(session, Keys, "UpsertRegion", request, directory_pb2.UpsertRegionResponse) is None
        remember(session, Keys, "UpsertRegion", request, answer)
    with sessions.begin() as session:
        assert replay_or_reserve(session, Keys, "UpsertRegion", request, directory_pb2.UpsertRegionResponse) == answer
        changed = directory_pb2.UpsertRegionRequest(request_id="r-1", region=directory_pb2.Region(code="W"))
        with pytest.raises(AlreadyExists):
            replay_or_reserve(session, Keys, "UpsertRegion", changed, directory_pb2.UpsertRegionResponse)
        with pytest.raises(InvalidArgument):
            replay_or_reserve(session, Keys, "UpsertRegion", directory_pb2.UpsertRegionRequest(), directory_pb2.UpsertRegionResponse)
