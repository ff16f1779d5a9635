"""One contract suite for the shared persistence pieces, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import DeclarativeBase

from chaincard.config import load_settings
from chaincard.db import idempotency
from chaincard.db.base import new_metadata, utc_now
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


def test_answers_past_their_retention_are_purged_chunk_by_chunk_and_a_purged_request_is_new_again(sessions, monkeypatch):
    monkeypatch.setattr(idempotency, "PURGE_CHUNK", 3)  # several chunks out of a few rows
    requests = [directory_pb2.UpsertRegionRequest(request_id=f"r-{index}", region=directory_pb2.Region(code=f"R{index}"))
                for index in range(8)]
    answer = directory_pb2.UpsertRegionResponse()
    with sessions.begin() as session:
        for request in requests:
            remember(session, Keys, "UpsertRegion", request, answer)
    now = utc_now()
    with sessions.begin() as session:  # seven of them 40 days old, one a day old
        session.execute(update(Keys).where(Keys.request_id != "r-7").values(created_at=now - timedelta(days=40)))
        session.execute(update(Keys).where(Keys.request_id == "r-7").values(created_at=now - timedelta(days=1)))

    assert idempotency.purge_answers(sessions, Keys, now - timedelta(days=30)) == 7
    with sessions() as session:
        assert session.execute(select(Keys.request_id)).scalars().all() == ["r-7"]
        assert session.execute(select(func.count()).select_from(Keys)).scalar_one() == 1
        assert replay_or_reserve(session, Keys, "UpsertRegion", requests[0], directory_pb2.UpsertRegionResponse) is None
        assert replay_or_reserve(session, Keys, "UpsertRegion", requests[7], directory_pb2.UpsertRegionResponse) == answer
    assert idempotency.purge_answers(sessions, Keys, now - timedelta(days=30)) == 0


def test_a_retention_of_answers_shorter_than_thirty_days_is_refused():
    with pytest.raises(ValueError, match="request_answer_retention_days"):
        load_settings(request_answer_retention_days=7)
    assert load_settings(request_answer_retention_days=30).request_answer_retention_days == 30
