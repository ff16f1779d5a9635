"""The store's journal of mutating requests: written before the first send, so a crash or a lost
answer never leaves the till unsure whether a sale happened; the retry reuses the request id.
PINs are kept only as digests (chaincard.pins.mask_pins): a request resent after a crash has to
be re-authorised by the card holder if its PIN is needed again."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import Message
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from chaincard.db.base import utc_now
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


class RequestJournal:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def begin(self, method: str, request: Message) -> JournalEntry:
        """Record the request (or find it again). A different payload under a used id is refused."""
        request_id = request.request_id
        validate_request_id(request_id)
        digest = fingerprint(method, request)
        with self.session_factory.begin() as session:
            entry = session.get(OutgoingRequest, request_id)
            if entry is None:
                entry = OutgoingRequest(
                    request_id=request_id, method=method, payload_sha256=digest,
                    request=mask_pins(request).SerializeToString(), state="PENDING", attempts=0,
                )
                session.add(entry)
            elif entry.method != method or entry.payload_sha256 != digest:
                raise AlreadyExists(
                    f"request_id {request_id!r} was already used for a different request; use a new request_id"
                )
            entry.attempts += 1
            return JournalEntry(entry.state, entry.response, entry.error_code, entry.error_message)

    def complete(
        self, request_id: str, response: Message, receipt_text: str | None = None, transaction_id: str = "", *,
        card_number: str = "",
    ) -> None:
        with self.session_factory.begin() as session:
            entry = session.get(OutgoingRequest, request_id)
            assert entry is not None
            entry.state = "DONE"
            entry.response = response.SerializeToString()
            entry.updated_at = utc_now()
            if receipt_text and transaction_id and session.get(Receipt, transaction_id) is None:
                session.add(Receipt(transaction_id=transaction_id, text=receipt_text, card_number=card_number or None, offline=False))

    def reject(self, request_id: str, code: str, message: str) -> None:
        with self.session_factory.begin() as session:
            entry = session.get(OutgoingRequest, request_id)
            assert entry is not None
            entry.state = "REJECTED"
            entry.error_code = code
            entry.error_message = message
            entry.updated_at = utc_now()

    def pending_count(self) -> int:
        with self.session_factory() as session:
            return session.execute(select(func.count()).where(OutgoingRequest.state == "PENDING")).scalar_one()
