"""The store's journal of mutating requests: written before the first send, so a crash or a lost
answer never leaves the till unsure whether a sale happened; the retry reuses the request id.
PINs are kept only as digests (chaincard.pins.mask_pins): a request resent after a crash has to
be re-authorised by the card holder if its PIN is needed again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from google.protobuf.message import Message
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import table_of, utc_now
from chaincard.db.idempotency import fingerprint, validate_request_id
from chaincard.errors import AlreadyExists
from chaincard.pins import mask_pins
from store_agent.models import OutgoingRequest, Receipt


@dataclass(frozen=True)
class JournalEntry:
    state: str
    response: bytes | None
    error_code: str | None
    error_message: str | None


_requests = table_of(OutgoingRequest)
_receipts = table_of(Receipt)

# Built once (the journal is written twice per sale; building statements per call cost more CPU than
# SQLite spends running them). Core, not the ORM, for the same reason.
_FIND = select(_requests.c.method, _requests.c.payload_sha256, _requests.c.state, _requests.c.response,
               _requests.c.error_code, _requests.c.error_message).where(_requests.c.request_id == bindparam("request_id"))
_RECORD = insert(_requests)
# An UPDATE's parameters named like a column set that column: the key is named apart.
_COUNT_ATTEMPT = (update(_requests).where(_requests.c.request_id == bindparam("key"))
                  .values(attempts=_requests.c.attempts + 1))
_FINISH = update(_requests).where(_requests.c.request_id == bindparam("key"))
_KEEP_RECEIPT = sqlite_insert(_receipts).on_conflict_do_nothing(index_elements=[_receipts.c.transaction_id])


class RequestJournal:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def begin(self, method: str, request: Message) -> JournalEntry:
        """Record the request (or find it again). A different payload under a used id is refused."""
        request_id: str = getattr(request, "request_id")  # noqa: B009 - every journaled request has one
        validate_request_id(request_id)
        digest = fingerprint(method, request)
        with self.session_factory.begin() as session:
            connection = session.connection()
            found = connection.execute(_FIND, {"request_id": request_id}).first()
            if found is None:
                now = utc_now()
                connection.execute(_RECORD, {
                    "request_id": request_id, "method": method, "payload_sha256": digest,
                    "request": mask_pins(request).SerializeToString(), "state": "PENDING", "attempts": 1,
                    "created_at": now, "updated_at": now,
                })
                return JournalEntry("PENDING", None, None, None)
            if found.method != method or found.payload_sha256 != digest:
                raise AlreadyExists(
                    f"request_id {request_id!r} was already used for a different request; use a new request_id"
                )
            connection.execute(_COUNT_ATTEMPT, {"key": request_id})
            return JournalEntry(found.state, found.response, found.error_code, found.error_message)

    def complete(
        self, request_id: str, response: Message, receipt_text: str | None = None, transaction_id: str = "", *,
        card_number: str = "", also: Callable[[Session], None] | None = None,
    ) -> None:
        """Keep the answer (and its receipt). ``also`` writes more in the same transaction (the card
        cache learning from the answer): one durable write per sale, not two."""
        with self.session_factory.begin() as session:
            connection = session.connection()
            now = utc_now()
            connection.execute(_FINISH, {"key": request_id, "state": "DONE",
                                         "response": response.SerializeToString(), "updated_at": now})
            if receipt_text and transaction_id:
                connection.execute(_KEEP_RECEIPT, {"transaction_id": transaction_id, "text": receipt_text,
                                                   "card_number": card_number or None, "offline": False,
                                                   "created_at": now})
            if also is not None:
                also(session)

    def reject(self, request_id: str, code: str, message: str) -> None:
        with self.session_factory.begin() as session:
            session.connection().execute(_FINISH, {"key": request_id, "state": "REJECTED", "error_code": code,
                                                   "error_message": message, "updated_at": utc_now()})

    def forget_answered(self, older_than: timedelta, *, batch: int = 1000) -> int:
        """Delete answered requests (DONE or REJECTED) last touched more than ``older_than`` ago;
        returns how many. They hold personal data (a registration's name, phone and e-mail) that
        the store needs only while a till might still retry; after that the region's own
        idempotency keys still answer a late retry. Unanswered requests are kept until answered."""
        cutoff = utc_now() - older_than
        forgotten = 0
        while True:
            with self.session_factory.begin() as session:
                ids = select(_requests.c.request_id).where(
                    _requests.c.state.in_(("DONE", "REJECTED")), _requests.c.updated_at < cutoff).limit(batch)
                deleted = session.connection().execute(delete(_requests).where(_requests.c.request_id.in_(ids))).rowcount
            forgotten += deleted or 0
            if not deleted or deleted < batch:
                return forgotten

    def pending_count(self) -> int:
        with self.session_factory() as session:
            return session.execute(select(func.count()).where(OutgoingRequest.state == "PENDING")).scalar_one()
