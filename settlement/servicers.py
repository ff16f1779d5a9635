"""SettlementService over gRPC: proto ⇄ domain translation only.

Authorisation by scope (a franchisee admin sees only its own statements and clearing records)
arrives with the security issue as a server interceptor; until then the ``franchisee_id`` filters
are honoured as given and every caller is treated as HQ finance.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import grpc

from chaincard.commands import CommandRunner, UnitOfWork
from chaincard.rpc.server import ServiceRegistration
from chaincard.settlement_client import CLOSE_EARLY_METADATA  # the one name of the close-early metadata
from chaincard.v1 import settlement_pb2, settlement_pb2_grpc
from settlement import handlers, queries
from settlement.runs import SettlementRunner


def close_early_asked(metadata: Iterable[tuple[str, str | bytes]] | None) -> bool:
    """Whether the call's metadata asks to settle the day before its cut-off."""
    return any(key == CLOSE_EARLY_METADATA and value in ("1", "true") for key, value in metadata or ())


class SettlementServicer(settlement_pb2_grpc.SettlementServiceServicer):
    """One def per RPC: RunSettlement through the command pipeline, the reads through
    settlement.queries."""

    def __init__(self, runner: SettlementRunner, commands: CommandRunner[UnitOfWork] | None = None) -> None:
        self.runner = runner
        self.sessions = runner.session_factory
        # The settlement CLI builds a servicer for its reads alone, with no pipeline wired.
        self.commands = commands if commands is not None else handlers.settlement_commands(runner.session_factory)

    def RunSettlement(self, request: settlement_pb2.RunSettlementRequest, context: grpc.ServicerContext) -> settlement_pb2.RunSettlementResponse:  # noqa: N802 - generated name
        close_early = close_early_asked(context.invocation_metadata())
        return self.commands.run(functools.partial(handlers.run_settlement, runner=self.runner, close_early=close_early),
                                 request)

    def GetSettlementRun(self, request: settlement_pb2.GetSettlementRunRequest, context: grpc.ServicerContext) -> settlement_pb2.GetSettlementRunResponse:  # noqa: N802
        with self.sessions() as session:
            return queries.get_run(session, request)

    def ListSettlementRuns(self, request: settlement_pb2.ListSettlementRunsRequest, context: grpc.ServicerContext) -> settlement_pb2.ListSettlementRunsResponse:  # noqa: N802
        with self.sessions() as session:
            return queries.list_runs(session, request)

    def GetStatement(self, request: settlement_pb2.GetStatementRequest, context: grpc.ServicerContext) -> settlement_pb2.GetStatementResponse:  # noqa: N802
        with self.sessions() as session:
            return queries.get_statement(session, request)

    def ListStatements(self, request: settlement_pb2.ListStatementsRequest, context: grpc.ServicerContext) -> settlement_pb2.ListStatementsResponse:  # noqa: N802
        with self.sessions() as session:
            return queries.list_statements(session, request)

    def ExportStatement(self, request: settlement_pb2.ExportStatementRequest, context: grpc.ServicerContext) -> Iterator[settlement_pb2.ExportStatementResponse]:  # noqa: N802
        with self.sessions() as session:
            chunks = queries.export_statement(session, request)
        yield from chunks

    def StreamClearingRecords(self, request: settlement_pb2.StreamClearingRecordsRequest, context: grpc.ServicerContext) -> Iterator[settlement_pb2.StreamClearingRecordsResponse]:  # noqa: N802
        with self.sessions() as session:
            yield from queries.clearing_records(session, request)

    def GetSettlementManifest(self, request: settlement_pb2.GetSettlementManifestRequest, context: grpc.ServicerContext) -> settlement_pb2.GetSettlementManifestResponse:  # noqa: N802
        with self.sessions() as session:
            return queries.get_manifest(session, request, self.runner.signing_keys.signing_key())


def register(runner: SettlementRunner, commands: CommandRunner[UnitOfWork] | None = None) -> ServiceRegistration:
    """The (add_to_server, servicer, service name) triple for chaincard.rpc.server.build_server."""
    return (settlement_pb2_grpc.add_SettlementServiceServicer_to_server, SettlementServicer(runner, commands),
            settlement_pb2.DESCRIPTOR.services_by_name["SettlementService"].full_name)
