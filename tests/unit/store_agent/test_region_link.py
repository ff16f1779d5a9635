"""store_agent.region_link, whose link is down (issue 21): an UNAVAILABLE that carries the
``chaincard-unreachable-region`` trailer means the store's region answered and the card's home
region did not — the link stays online, the call is not resent, the request stays pending, and the
monitor names that region until a call on one of its cards is answered. A bare UNAVAILABLE is the
store's own region not answering. Checked with fake stubs and a fake journal (no gRPC, no SQLite)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import grpc
import pytest

from chaincard.errors import UNREACHABLE_REGION_TRAILER, RemoteStatus
from chaincard.rpc.channels import unreachable_region
from chaincard.v1 import cards_pb2, transactions_pb2
from store_agent import region_link
from store_agent.region_link import HomeRegionNotAnswering, LinkMonitor, RegionLink, RegionUnreachable

EAST_CARD = "881100000123451"


class FakeRpcError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str, trailers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(details)
        self._code, self._details, self._trailers = code, details, trailers

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._trailers


HOME_E_DOWN = FakeRpcError(grpc.StatusCode.UNAVAILABLE, "home region E not answering (DEADLINE_EXCEEDED)",
                           ((UNREACHABLE_REGION_TRAILER, "E"), ("grpc-retry-pushback-ms", "-1")))
BARE = FakeRpcError(grpc.StatusCode.UNAVAILABLE, "failed to connect to all addresses")


@dataclass
class Entry:
    state: str = "PENDING"
    response: bytes | None = None


@dataclass
class FakeJournal:
    """What RegionLink needs of the journal: begin, complete, reject (and no session for the cache)."""

    entries: dict[str, str] = field(default_factory=dict)
    session_factory: Any = None

    def begin(self, method: str, request: Any) -> Entry:
        self.entries.setdefault(request.request_id, "PENDING")
        return Entry(self.entries[request.request_id])

    def complete(self, request_id: str, *args: Any, **kwargs: Any) -> None:
        self.entries[request_id] = "DONE"

    def reject(self, request_id: str, code: str, message: str) -> None:
        self.entries[request_id] = f"REJECTED {code}"


class Stub:
    """A region method that fails with each error of ``errors`` in turn, then answers."""

    def __init__(self, *errors: grpc.RpcError, answer: Any = None) -> None:
        self.errors, self.answer, self.calls = list(errors), answer, 0

    def __call__(self, request: Any, timeout: float) -> Any:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.answer


def _link() -> tuple[RegionLink, FakeJournal]:
    journal = FakeJournal()
    return RegionLink(journal, deadline=1.0, backoff=0.0, monitor=LinkMonitor()), journal  # type: ignore[arg-type]


def _sale(card: str = EAST_CARD) -> transactions_pb2.CheckoutRequest:
    return transactions_pb2.CheckoutRequest(request_id="r-1", card_number=card)


def test_the_trailer_is_read_only_from_an_unavailable():
    assert unreachable_region(HOME_E_DOWN) == "E"
    assert unreachable_region(BARE) == ""
    refused = FakeRpcError(grpc.StatusCode.FAILED_PRECONDITION, "balance too low", ((UNREACHABLE_REGION_TRAILER, "E"),))
    assert unreachable_region(refused) == ""


def test_a_home_region_not_answering_keeps_the_link_online_is_not_resent_and_stays_pending():
    link, journal = _link()
    region = Stub(HOME_E_DOWN, answer=transactions_pb2.CheckoutResponse())
    with pytest.raises(HomeRegionNotAnswering) as raised:
        link.mutate("Checkout", region, _sale(), transactions_pb2.CheckoutResponse)
    assert raised.value.region_code == "E" and raised.value.status_name == "UNAVAILABLE"
    assert "home region E not answering" in raised.value.message
    assert dict(raised.value.trailing_metadata)[UNREACHABLE_REGION_TRAILER] == "E"  # passed on to the till
    assert region.calls == 1  # the region already tried E for this very call
    assert journal.entries == {"r-1": "PENDING"}  # the same request_id can be sent again later
    assert link.online
    [outage] = link.monitor.home_regions_not_answering()
    assert (outage.region_code, outage.message, outage.cards) == ("E", "home region E not answering", {EAST_CARD})
    assert link.monitor.home_region_down_for(EAST_CARD) == "E"
    assert link.monitor.home_region_down_for("882100000123453") == ""


def test_an_answer_on_one_of_its_cards_clears_the_home_region():
    link, _ = _link()
    with pytest.raises(HomeRegionNotAnswering):
        link.read(Stub(HOME_E_DOWN), cards_pb2.GetBalanceRequest(card_number=EAST_CARD))
    assert link.monitor.home_region_down_for(EAST_CARD) == "E"
    link.read(Stub(answer=cards_pb2.GetBalanceResponse()), cards_pb2.GetBalanceRequest(card_number="882100000123453"))
    assert link.monitor.home_regions_not_answering()  # another card's answer says nothing of E
    link.read(Stub(answer=cards_pb2.GetBalanceResponse()), cards_pb2.GetBalanceRequest(card_number=EAST_CARD))
    assert link.monitor.home_regions_not_answering() == []


def test_the_mark_lapses_without_another_such_answer(monkeypatch):
    monitor = LinkMonitor()
    monitor.home_region_failed("E", EAST_CARD)
    later = region_link.utc_now() + timedelta(seconds=region_link.HOME_REGION_MARK_SECONDS + 1)
    monkeypatch.setattr(region_link, "utc_now", lambda: later)
    assert monitor.home_regions_not_answering() == []
    monitor.home_region_failed("E", "881100000999993")  # a new outage, from now
    [outage] = monitor.home_regions_not_answering()
    assert outage.since == later and outage.cards == {"881100000999993"}


def test_a_bare_unavailable_is_the_region_itself_not_answering():
    link, journal = _link()
    region = Stub(BARE, BARE, BARE)
    with pytest.raises(RegionUnreachable) as raised:
        link.mutate("Checkout", region, _sale(), transactions_pb2.CheckoutResponse)
    assert not isinstance(raised.value, HomeRegionNotAnswering)
    assert region.calls == 3 and journal.entries == {"r-1": "PENDING"}
    assert link.monitor.home_regions_not_answering() == []


def test_the_monitor_tells_its_listeners_once_when_a_home_region_answers_again():
    """The forwarder listens: it then offers its queued advices at once (test_store_forwarder_wake.py)."""
    link, _ = _link()
    told: list[str] = []
    link.monitor.home_region_listeners.append(told.append)
    with pytest.raises(HomeRegionNotAnswering):
        link.read(Stub(HOME_E_DOWN), cards_pb2.GetBalanceRequest(card_number=EAST_CARD))
    link.read(Stub(answer=cards_pb2.GetBalanceResponse()), cards_pb2.GetBalanceRequest(card_number="882100000123453"))
    assert told == []  # another card's answer says nothing of E
    link.read(Stub(answer=cards_pb2.GetBalanceResponse()), cards_pb2.GetBalanceRequest(card_number=EAST_CARD))
    link.read(Stub(answer=cards_pb2.GetBalanceResponse()), cards_pb2.GetBalanceRequest(card_number=EAST_CARD))
    assert told == ["E"]


@pytest.mark.parametrize("code", [grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN])
def test_an_internal_error_is_not_final_the_same_request_may_be_sent_again(code):
    """The region may have committed before it failed: the till is told, and its retry with the
    same request_id reaches the region (whose idempotency answers) instead of the journal's refusal."""
    link, journal = _link()
    answer = transactions_pb2.CheckoutResponse()
    region = Stub(FakeRpcError(code, "handler crashed after commit"), answer=answer)
    with pytest.raises(RemoteStatus) as raised:
        link.mutate("Checkout", region, _sale(), transactions_pb2.CheckoutResponse)
    assert raised.value.status_name == code.name and journal.entries == {"r-1": "PENDING"}
    assert link.mutate("Checkout", region, _sale(), transactions_pb2.CheckoutResponse) == answer
    assert region.calls == 2 and journal.entries == {"r-1": "DONE"}


def test_a_refusal_is_final_and_kept_in_the_journal():
    link, journal = _link()
    with pytest.raises(RemoteStatus):
        link.mutate("Checkout", Stub(FakeRpcError(grpc.StatusCode.FAILED_PRECONDITION, "balance too low")), _sale(),
                    transactions_pb2.CheckoutResponse)
    assert journal.entries == {"r-1": "REJECTED FAILED_PRECONDITION"}
