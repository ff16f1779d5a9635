"""Calls from the store to its region: a deadline on every call, transient failures retried with
the same request id, final answers (and final refusals) written to the journal.

The link also knows whether the region is reachable (``LinkMonitor``). Once it is not, calls fail
at once with UNAVAILABLE instead of each waiting out its deadlines at the till, and a probe asks the
region's health service every second until it answers again (then the offline queue is forwarded).

Whose link is down: only a region that does not answer takes the store offline. When the region
answers UNAVAILABLE with the trailer ``chaincard-unreachable-region`` (it is up, but the home region
of the card the call is about is not: chaincard.errors.HomeRegionUnreachable), the link stays
online, the call fails with :class:`HomeRegionNotAnswering` for that card alone (the checkout may be
stood in for, within the same offline limits), and the monitor remembers the region for the
store's status ("home region E not answering") until a call on one of the cards it failed for is
answered (or its offline sales are posted), or ``HOME_REGION_MARK_SECONDS`` pass without another
such answer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2
from sqlalchemy.orm import Session

from chaincard import clock
from chaincard.checkout.receipt import home_region_mark
from chaincard.db.base import utc_now
from chaincard.errors import NO_RETRY_PUSHBACK, UNREACHABLE_REGION_TRAILER, RemoteStatus, Unavailable
from chaincard.rpc.channels import call, health_check, unreachable_region
from chaincard.security.identity import current_principal
from store_agent.journal import RequestJournal

log = logging.getLogger(__name__)

TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}
# Link failures (as opposed to ABORTED: the region answered, a conflict, retry).
UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
# Failures that do not say whether the region committed (a crash in its handler, a proxy's error):
# not a final refusal, so the journal keeps the request pending and the same request_id may be
# sent again (the region's idempotency then answers with what it did, if it did anything).
NOT_FINAL = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
PROBE_DEADLINE_SECONDS = 1.0
PROBE_INTERVAL_SECONDS = 1.0
# How long a home region that did not answer stays on the store's status without another such answer.
HOME_REGION_MARK_SECONDS = 600.0

# What the till is told when a write cannot be taken offline (DESIGN §4), by RPC.
OFFLINE_REFUSED = {
    "RegisterMember": "member registration needs the region",
    "UpdateMember": "member profile changes need the region",
    "SetMemberDates": "member dates are kept by the region",
    "OpenCard": "cards cannot be opened offline",
    "RechargeCard": "recharges are not taken offline",
    "RefundSale": "refunds are not given offline",
    "VoidSale": "voids are not made offline",
    "VoidRecharge": "voids are not made offline",
    "AdjustPoints": "points are not adjusted offline",
    **dict.fromkeys(
        ("ActivateCard", "ReportCardLost", "CancelCardLoss", "FreezeCard", "UnfreezeCard", "ReplaceCard", "ReissueCard",
         "CloseCard", "RenewCard"),
        "card lifecycle changes need the region",
    ),
    "ChangeCardLevel": "level changes need the region",
    "BuyLevel": "levels are bought through the region",
    "LinkCard": "linking cards needs the region",
    "UnlinkCard": "unlinking cards needs the region",
    "SetPin": "PIN changes need the region",
    "ChangePin": "PIN changes need the region",
    "ResetPin": "PIN changes need the region",
    "Checkout": "this sale cannot be approved offline",
    "IssueCoupon": "coupons are issued by the region",
    "TransferCoupon": "coupons are given away through the region",
}


class RegionUnreachable(Unavailable):
    """The region did not answer (after the retries), or is known to be down: UNAVAILABLE.
    ``in_doubt``: an attempt was sent and its answer lost (it timed out, or the connection broke),
    so the region may have acted on it (``may_have_been_received``)."""

    def __init__(self, message: str, *, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


class HomeRegionNotAnswering(RegionUnreachable):
    """The store's region answered, but the home region of the card the call is about did not (the
    region's UNAVAILABLE carried the ``chaincard-unreachable-region`` trailer). For that card alone it
    is as if the region were unreachable (the checkout may be stood in for); the link stays online.
    Passed on to the till with the same trailer. ``in_doubt``: the region's forward may have reached
    the home region before it stopped answering, so a refusal says to retry with the same request_id."""

    def __init__(self, region_code: str, message: str) -> None:
        super().__init__(message, in_doubt=True)
        self.region_code = region_code
        self.trailing_metadata = ((UNREACHABLE_REGION_TRAILER, region_code), NO_RETRY_PUSHBACK)


def home_region_message(region_code: str) -> str:
    """What the receipt and the store's status say of a card homed in a region that does not answer."""
    return home_region_mark(region_code)


@dataclass
class HomeRegionOutage:
    """A home region the store's region could not reach: since when, last told when, for which cards."""

    region_code: str
    since: datetime
    last_failure_at: datetime
    cards: set[str] = field(default_factory=set)

    @property
    def message(self) -> str:
        return home_region_message(self.region_code)


def _clock(moment: datetime | None) -> str:
    return moment.strftime("%H:%M:%S UTC") if moment else "just now"


class LinkMonitor:
    """Whether the region answers. Every call's outcome feeds it; while offline a probe thread asks the
    region's health service every second and, when it answers, tells the listeners (the forwarder)."""

    def __init__(self, channel: grpc.Channel | None = None, *, probe_interval: float = PROBE_INTERVAL_SECONDS) -> None:
        self.channel = channel
        self.probe_interval = probe_interval
        self.online = True
        self.last_contact_at: datetime | None = None
        self.offline_since: datetime | None = None
        self.listeners: list[Callable[[], None]] = []
        # Told the code of a home region that answers again (a call on one of the cards it failed
        # for was answered): the forwarder offers its queued advices at once, not after its back-off.
        self.home_region_listeners: list[Callable[[str], None]] = []
        # Home regions of other cards that the region answered it could not reach, by region code.
        self._home_outages: dict[str, HomeRegionOutage] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def success(self) -> None:
        with self._lock:
            came_back = not self.online
            self.online = True
            self.offline_since = None
            self.last_contact_at = utc_now()
        if came_back:
            log.warning("region reachable again")
            for listener in self.listeners:
                listener()

    def failure(self, reason: str) -> None:
        if self.channel is None:
            return  # nothing to probe with: never declare the region down (every call still tries it)
        with self._lock:
            went_down = self.online
            self.online = False
            if went_down:
                self.offline_since = utc_now()
        if went_down:
            log.warning("region unreachable: working offline", extra={"fields": {"reason": reason}})

    # ---- home regions of other cards (the region answered; the card's home region did not) ----------
    def home_region_failed(self, region_code: str, card_number: str = "") -> None:
        now = utc_now()
        with self._lock:
            outage = self._home_outages.get(region_code)
            if outage is None or now - outage.last_failure_at > timedelta(seconds=HOME_REGION_MARK_SECONDS):
                outage = self._home_outages[region_code] = HomeRegionOutage(region_code, since=now, last_failure_at=now)
                log.warning("the region answers that a home region does not: its cards are stood in for",
                            extra={"fields": {"home_region": region_code}})
            outage.last_failure_at = now
            if card_number:
                outage.cards.add(card_number)

    def card_answered(self, card_number: str) -> None:
        """A call on this card was answered (or its offline sales posted): its home region answers again."""
        if not card_number:
            return
        back = []
        with self._lock:
            for code, outage in list(self._home_outages.items()):
                if card_number in outage.cards:
                    del self._home_outages[code]
                    back.append(code)
        for code in back:
            log.warning("home region answers again", extra={"fields": {"home_region": code}})
            for listener in self.home_region_listeners:
                listener(code)

    def home_region_down_for(self, card_number: str) -> str:
        """The home region a recent call on this card could not reach; "" when none is known."""
        for outage in self.home_regions_not_answering():
            if card_number in outage.cards:
                return outage.region_code
        return ""

    def home_regions_not_answering(self) -> list[HomeRegionOutage]:
        cutoff = utc_now() - timedelta(seconds=HOME_REGION_MARK_SECONDS)
        with self._lock:
            return [outage for _, outage in sorted(self._home_outages.items()) if outage.last_failure_at >= cutoff]

    def probe(self) -> bool:
        """Ask the region's health service once; updates the state."""
        if self.channel is None:
            return self.online
        try:
            answer = health_check(self.channel, deadline=PROBE_DEADLINE_SECONDS)
        except grpc.RpcError as error:
            self.failure(error.code().name)
            return False
        if answer.status != health_pb2.HealthCheckResponse.SERVING:
            self.failure("region not serving")
            return False
        self.success()
        return True

    def offline_message(self, what: str) -> str:
        return (
            f"store offline: the region has not answered since {_clock(self.offline_since or self.last_contact_at)}; "
            f"{what}. The request is kept: retry it with the same request_id once the link is back"
        )

    def start(self) -> LinkMonitor:
        self._thread = threading.Thread(target=self._run, name="region-link-probe", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.probe_interval):
            if not self.online:
                self.probe()


class RegionLink:
    def __init__(
        self,
        journal: RequestJournal,
        *,
        deadline: float,
        attempts: int = 3,
        backoff: float = 0.2,
        monitor: LinkMonitor | None = None,
        observe: Callable[[Session, Message, Message, datetime], None] | None = None,
    ) -> None:
        self.journal = journal
        self.deadline = deadline
        self.attempts = attempts
        self.backoff = backoff
        self.monitor = monitor or LinkMonitor()
        # Called with (session, request, response, sent_at) after every answer, in a writing
        # transaction (the card cache learns from it).
        self.observe = observe

    @property
    def online(self) -> bool:
        return self.monitor.online

    def _home_region_not_answering(self, error: grpc.RpcError, request: Message) -> HomeRegionNotAnswering | None:
        """The region's answer that the card's home region does not answer (the trailer), as the
        error to raise; None for any other failure. The region did answer: the link is up."""
        region_code = unreachable_region(error)
        if not region_code:
            return None
        card_number = getattr(request, "card_number", "")
        self.monitor.success()
        self.monitor.home_region_failed(region_code, card_number)
        about = f" (card ...{card_number[-4:]})" if card_number else ""
        return HomeRegionNotAnswering(region_code, (
            f"{home_region_message(region_code)}{about}: this store and its region are up; retry with the same "
            f"request_id once region {region_code} answers again"
        ))

    def _learn(self, request: Message, response: Message, sent_at: datetime) -> None:
        """After a read: the card cache learns from the answer in a transaction of its own."""
        self.monitor.success()
        self.monitor.card_answered(getattr(request, "card_number", ""))
        if self.observe is not None:
            try:
                with self.journal.session_factory.begin() as session:
                    self.observe(session, request, response, sent_at)
            except Exception:  # noqa: BLE001 - the cache is a help, never a reason to fail a sale
                log.exception("could not update the card cache")

    def _complete(self, request: Message, response: Message, sent_at: datetime,
                  receipt_of: Callable[[Any], tuple[str, str]] | None) -> None:
        """After a write: keep the answer, and let the card cache learn from it in the same transaction."""
        transaction_id, receipt = receipt_of(response) if receipt_of else ("", "")
        request_id: str = getattr(request, "request_id")  # noqa: B009 - every journaled request has one
        card_number = getattr(request, "card_number", "")
        observe = self.observe
        learn = None if observe is None else (lambda session: observe(session, request, response, sent_at))
        try:
            self.journal.complete(request_id, response, receipt, transaction_id, card_number=card_number, also=learn)
        except Exception:  # noqa: BLE001 - the cache is a help, never a reason to fail a sale
            if learn is None:
                raise
            log.exception("could not update the card cache")
            self.journal.complete(request_id, response, receipt, transaction_id, card_number=card_number)
        self.monitor.success()
        self.monitor.card_answered(card_number)

    def read(self, method: Callable[..., Any], request: Message) -> Any:
        if not self.monitor.online:
            raise RegionUnreachable(self.monitor.offline_message("this needs the region"))
        sent_at = utc_now()
        try:
            response = call(method, request, deadline=self.deadline)
        except grpc.RpcError as error:
            home_down = self._home_region_not_answering(error, request)
            if home_down is not None:
                raise home_down from error
            if error.code() in UNREACHABLE:
                self.monitor.failure(error.code().name)
                raise RegionUnreachable(self.monitor.offline_message("this needs the region")) from error
            raise RemoteStatus(error.code().name, error.details() or "the region refused the call") from error
        self._learn(request, response, sent_at)
        return response

    def mutate(
        self,
        method_name: str,
        method: Callable[..., Any],
        request: Message,
        response_type: type[Message],
        *,
        receipt_of: Callable[[Any], tuple[str, str]] | None = None,
        before_send: Callable[[], None] | None = None,
    ) -> Any:
        """Journal the request, then send it until the region answers. ``before_send`` runs once the
        request is journaled (the checkout forwards the card's queued advices there)."""
        name_the_operator(request)
        entry = self.journal.begin(method_name, request)
        if entry.state == "DONE":
            return response_type.FromString(cast(bytes, entry.response))  # a DONE entry keeps its answer
        if entry.state == "REJECTED":
            raise RemoteStatus(entry.error_code or "UNKNOWN", entry.error_message or "refused")
        refused = OFFLINE_REFUSED.get(method_name, "this needs the region")
        if not self.monitor.online:
            raise RegionUnreachable(self.monitor.offline_message(refused))
        if before_send is not None:
            before_send()
        request_id: str = getattr(request, "request_id")  # noqa: B009 - every journaled request has one
        last_error: grpc.RpcError | None = None
        timed_out = False
        for attempt in range(self.attempts):
            sent_at = utc_now()
            try:
                response = call(method, request, deadline=self.deadline)
            except grpc.RpcError as error:
                home_down = self._home_region_not_answering(error, request)
                if home_down is not None:
                    # The region already tried the home region for this very call: no resend now. The
                    # request stays PENDING in the journal (retry it with the same request_id later).
                    raise home_down from error
                last_error = error
                timed_out = timed_out or may_have_been_received(error)
                if error.code() in TRANSIENT:
                    # A region that does not even answer its health check is down: stop waiting.
                    if error.code() in UNREACHABLE and self.monitor.channel is not None and not self.monitor.probe():
                        break
                    clock.current().sleep(self.backoff * (2**attempt))
                    continue
                if error.code() not in NOT_FINAL:
                    self.journal.reject(request_id, error.code().name, error.details() or "")
                raise RemoteStatus(error.code().name, error.details() or "the region refused the request") from error
            self._complete(request, response, sent_at, receipt_of)
            return response
        reason = last_error.code().name if last_error else "no answer"
        self.monitor.failure(reason)
        log.warning("region unreachable; request kept pending", extra={"fields": {"request_id": request_id, "reason": reason}})
        raise RegionUnreachable(self.monitor.offline_message(refused), in_doubt=timed_out)


def may_have_been_received(error: grpc.RpcError) -> bool:
    """Whether a failed call may yet have reached the region: it timed out, or the connection broke
    (UNAVAILABLE). gRPC cannot tell a reset while the region was working on the request from a
    connection that never came up: both read "failed to connect to all addresses; … Socket closed".
    So both are in doubt. Found by a chaos run (docs/reliability.md, seed 747128): a sale was posted
    while the till was told "store offline, sale not approved", not to retry with its request id."""
    return error.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE)


def name_the_operator(request: Message) -> None:
    """An operator who logged in at the till (a store manager authorising a refund, say) is the one
    the region audits: the agent names them in ``operator_id`` when the till left it empty. The
    region sees only the store's certificate, which vouches for it."""
    principal = current_principal()
    if principal is None or not principal.is_operator or "operator_id" not in request.DESCRIPTOR.fields_by_name:
        return
    # Any request message: the field is known to be there (checked above), not to the type checker.
    if not request.operator_id:  # type: ignore[attr-defined]
        request.operator_id = principal.operator_id  # type: ignore[attr-defined]
