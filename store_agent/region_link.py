"""Calls from the store to its region: a deadline on every call, transient failures retried with
the same request id, final answers (and final refusals) written to the journal.

The link also knows whether the region is reachable (``LinkMonitor``). Once it is not, calls fail
at once with UNAVAILABLE instead of each waiting out its deadlines at the till, and a probe asks the
region's health service every second until it answers again (then the offline queue is forwarded).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health_pb2
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import RemoteStatus, Unavailable
from chaincard.rpc.channels import call, health_check
from chaincard.security.identity import current_principal
from store_agent.journal import RequestJournal

log = logging.getLogger(__name__)

TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}
# Link failures (as opposed to ABORTED: the region answered, a conflict, retry).
UNREACHABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
PROBE_DEADLINE_SECONDS = 1.0
PROBE_INTERVAL_SECONDS = 1.0

# What the till is told when a write cannot be taken offline (DESIGN §4), by RPC.
OFFLINE_REFUSED = {
    "RegisterMember": "member registration needs the region",
    "UpdateMember": "member profile changes need the region",
    "OpenCard": "cards cannot be opened offline",
    "RechargeCard": "recharges are not taken offline",
    "RefundSale": "refunds are not given offline",
    "VoidSale": "voids are not made offline",
    "VoidRecharge": "voids are not made offline",
    "AdjustPoints": "points are not adjusted offline",
    **dict.fromkeys(
        ("ActivateCard", "ReportCardLost", "CancelCardLoss", "FreezeCard", "UnfreezeCard", "ReplaceCard", "ReissueCard",
         "CloseCard"),
        "card lifecycle changes need the region",
    ),
    "SetPin": "PIN changes need the region",
    "ChangePin": "PIN changes need the region",
    "ResetPin": "PIN changes need the region",
    "Checkout": "this sale cannot be approved offline",
}


class RegionUnreachable(Unavailable):
    """The region did not answer (after the retries), or is known to be down: UNAVAILABLE.
    ``in_doubt``: an attempt timed out after it was sent, so the region may still act on it."""

    def __init__(self, message: str, *, in_doubt: bool = False) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


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

    def _learn(self, request: Message, response: Message, sent_at: datetime) -> None:
        """After a read: the card cache learns from the answer in a transaction of its own."""
        self.monitor.success()
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

    def read(self, method: Callable[..., Any], request: Message) -> Any:
        if not self.monitor.online:
            raise RegionUnreachable(self.monitor.offline_message("this needs the region"))
        sent_at = utc_now()
        try:
            response = call(method, request, deadline=self.deadline)
        except grpc.RpcError as error:
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
                last_error = error
                timed_out = timed_out or error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                if error.code() in TRANSIENT:
                    # A region that does not even answer its health check is down: stop waiting.
                    if error.code() in UNREACHABLE and self.monitor.channel is not None and not self.monitor.probe():
                        break
                    time.sleep(self.backoff * (2**attempt))
                    continue
                self.journal.reject(request_id, error.code().name, error.details() or "")
                raise RemoteStatus(error.code().name, error.details() or "the region refused the request") from error
            self._complete(request, response, sent_at, receipt_of)
            return response
        reason = last_error.code().name if last_error else "no answer"
        self.monitor.failure(reason)
        log.warning("region unreachable; request kept pending", extra={"fields": {"request_id": request_id, "reason": reason}})
        raise RegionUnreachable(self.monitor.offline_message(refused), in_doubt=timed_out)


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
