"""The store agent's request journal forgets answered requests once no till could still retry them
(they hold registrations' personal data), and keeps every unanswered one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from chaincard.db.base import utc_now
from chaincard.db.engine import make_engine, make_session_factory
from chaincard.db.migrate import upgrade_to_head
from chaincard.ids import new_id
from chaincard.v1 import common_pb2, members_pb2
from store_agent.journal import RequestJournal
from store_agent.models import OutgoingRequest


@pytest.fixture
def journal(tmp_path):
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    upgrade_to_head("store_agent", url)
    engine = make_engine(url)
    yield RequestJournal(make_session_factory(engine))
    engine.dispose()


def _registration() -> members_pb2.RegisterMemberRequest:
    return members_pb2.RegisterMemberRequest(request_id=new_id(), store_id="S-E-001", name="王芳", phone="13800138000",
                                             email="wang.fang@example.com")


def _age(journal: RequestJournal, request_id: str, days: int) -> None:
    with journal.session_factory.begin() as session:
        session.execute(update(OutgoingRequest).where(OutgoingRequest.request_id == request_id)
                        .values(updated_at=utc_now() - timedelta(days=days)))


def test_answered_requests_are_forgotten_after_the_retention_and_unanswered_ones_kept(journal):
    answered_long_ago, refused_long_ago, unanswered_long_ago, answered_lately = (_registration() for _ in range(4))
    for request in (answered_long_ago, refused_long_ago, unanswered_long_ago, answered_lately):
        assert journal.begin("RegisterMember", request).state == "PENDING"
    member = members_pb2.RegisterMemberResponse(member=common_pb2.Member(member_id=new_id(), name="王芳"))
    journal.complete(answered_long_ago.request_id, member)
    journal.complete(answered_lately.request_id, member)
    journal.reject(refused_long_ago.request_id, "ALREADY_EXISTS", "phone taken")
    for request in (answered_long_ago, refused_long_ago, unanswered_long_ago):
        _age(journal, request.request_id, days=8)

    assert journal.forget_answered(timedelta(days=7), batch=1) == 2

    with journal.session_factory() as session:
        kept = {row.request_id: row.state for row in session.query(OutgoingRequest)}
    assert kept == {unanswered_long_ago.request_id: "PENDING", answered_lately.request_id: "DONE"}
    # A till retrying a kept request still gets its journaled answer.
    assert journal.begin("RegisterMember", answered_lately).state == "DONE"
