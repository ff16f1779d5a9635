"""Calls from the store to its region: a deadline on every call, transient failures retried with
the same request id, final answers (and final refusals) written to the journal."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf.message import Message

from chaincard.errors import RemoteStatus, Unavailable
from chaincard.rpc.channels import call
from store_agent.journal import RequestJournal

log = logging.getLogger(__name__)

TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.ABORTED}


class RegionLink:
    def __init__(self, journal: RequestJournal, *, deadline: float, attempts: int = 3, backoff: float = 0.2) -> None:
        self.journal = journal
        self.deadline = deadline
        self.attempts = attempts
        self.backoff = backoff

    def read(self, method: Callable[..., Any], request: Message, context: grpc.ServicerContext) -> Any:
        try:
            return call(method, request, deadline=self.deadline)
        except grpc.RpcError as error:
            raise RemoteStatus(error.code().name, error.details() or "the region refused the call") from error

    def mutate(
        self,
        method_name: str,
        method: Callable[..., Any],
        request: Message,
        response_type: type[Message],
        context: grpc.ServicerContext,
        *,
        receipt_of: Callable[[Any], tuple[str, str]] | None = None,
    ) -> Any:
        entry = self.journal.begin(method_name, request)
        if entry.state == "DONE":
            return response_type.FromString(entry.response)
        if entry.state == "REJECTED":
            raise RemoteStatus(entry.error_code or "UNKNOWN", entry.error_message or "refused")
        request_id = request.request_id
        last_error: grpc.RpcError | None = None
        for attempt in range(self.attempts):
            try:
                response = call(method, request, deadline=self.deadline)
            except grpc.RpcError as error:
                last_error = error
                if error.code() in TRANSIENT:
                    time.sleep(self.backoff * (2**attempt))
                    continue
                self.journal.reject(request_id, error.code().name, error.details() or "")
                raise RemoteStatus(error.code().name, error.details() or "the region refused the request") from error
            transaction_id, receipt = receipt_of(response) if receipt_of else ("", "")
            self.journal.complete(request_id, response, receipt, transaction_id)
            return response
        log.warning("region unreachable; request kept pending", extra={"fields": {"request_id": request_id}})
        raise Unavailable(
            "the region did not answer; the request is kept — retry with the same request_id "
            f"({last_error.code().name if last_error else 'no answer'})"
        )
