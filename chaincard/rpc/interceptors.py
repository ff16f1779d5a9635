"""Server interceptors. ``DomainErrorInterceptor`` turns domain errors into precise gRPC statuses.

Authorisation (issue: security) plugs in as another interceptor ahead of this one, through
``build_server(..., interceptors=[...])``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import grpc

from chaincard.errors import ChainCardError

log = logging.getLogger(__name__)


def _status_of(error: ChainCardError) -> grpc.StatusCode:
    return grpc.StatusCode[error.status_name]


def _abort(context: grpc.ServicerContext, error: ChainCardError) -> None:
    if error.trailing_metadata:
        context.set_trailing_metadata(error.trailing_metadata)
    context.abort(_status_of(error), error.message)


def _already_aborted(context: grpc.ServicerContext) -> bool:
    """True once the servicer called ``context.abort``: its status must reach the caller as set."""
    code = getattr(context, "code", None)
    return callable(code) and code() is not None


def _guard_unary(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    def guarded(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behavior(request, context)
        except ChainCardError as error:
            _abort(context, error)
        except Exception:
            if _already_aborted(context):
                raise
            log.exception("unhandled error in RPC", extra={"fields": {"method": method}})
            context.abort(grpc.StatusCode.INTERNAL, "internal error; it has been logged")

    return guarded


def _guard_stream(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    def guarded(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            yield from behavior(request, context)
        except ChainCardError as error:
            _abort(context, error)
        except Exception:
            if _already_aborted(context):
                raise
            log.exception("unhandled error in RPC", extra={"fields": {"method": method}})
            context.abort(grpc.StatusCode.INTERNAL, "internal error; it has been logged")

    return guarded


class DomainErrorInterceptor(grpc.ServerInterceptor):
    def intercept_service(self, continuation: Callable[..., Any], handler_call_details: grpc.HandlerCallDetails) -> Any:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                _guard_unary(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                _guard_stream(handler.unary_stream, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:  # a request stream (StartBulkIssue): one answer, guarded as a unary call's
            return grpc.stream_unary_rpc_method_handler(
                _guard_unary(handler.stream_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler
