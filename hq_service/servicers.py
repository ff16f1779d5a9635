"""gRPC servicers of HQ: translate calls into handler calls, nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.v1 import (
    directory_pb2,
    directory_pb2_grpc,
    member_index_pb2_grpc,
    member_view_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
    reports_pb2,
    reports_pb2_grpc,
)
from hq_service.handlers import card_directory, directory, member_index, member_view, program, reports


class DirectoryServicer(directory_pb2_grpc.DirectoryServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def UpsertRegion(self, request, context):  # noqa: N802 - gRPC method names
        with self.session_factory.begin() as session:
            return directory_pb2.UpsertRegionResponse(region=directory.upsert_region(session, request))

    def ListRegions(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListRegionsResponse(regions=directory.list_regions(session))

    def UpsertFranchisee(self, request, context):  # noqa: N802
        with self.session_factory.begin() as session:
            return directory_pb2.UpsertFranchiseeResponse(franchisee=directory.upsert_franchisee(session, request))

    def ListFranchisees(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListFranchiseesResponse(franchisees=directory.list_franchisees(session))

    def UpsertStore(self, request, context):  # noqa: N802
        with self.session_factory.begin() as session:
            return directory_pb2.UpsertStoreResponse(store=directory.upsert_store(session, request))

    def GetStore(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.GetStoreResponse(store=directory.get_store(session, request.store_id))

    def ListStores(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListStoresResponse(
                stores=directory.list_stores(session, request.region_code, request.franchisee_id)
            )

    def UpsertStaff(self, request, context):  # noqa: N802
        with self.session_factory.begin() as session:
            return directory_pb2.UpsertStaffResponse(staff=directory.upsert_staff(session, request))

    def ListStaff(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return directory_pb2.ListStaffResponse(
                staff=directory.list_staff(session, request.store_id, include_inactive=request.include_inactive)
            )


class ProgramConfigServicer(program_config_pb2_grpc.ProgramConfigServiceServicer):
    """Every configuration-changing RPC goes through ``program.change_config`` (see CONFIG_KINDS)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def _change(self, rpc_name: str, request):  # type: ignore[no-untyped-def]
        with self.session_factory.begin() as session:
            return program.change_config(session, rpc_name, request)

    def GetConfigSnapshot(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            if request.known_version and request.known_version == directory.current_version(session):
                return program_config_pb2.GetConfigSnapshotResponse(unchanged=True)
            return program_config_pb2.GetConfigSnapshotResponse(snapshot=program.config_snapshot(session))


def _config_method(rpc_name: str):  # type: ignore[no-untyped-def]
    def method(self, request, context):  # type: ignore[no-untyped-def]
        return self._change(rpc_name, request)

    method.__name__ = rpc_name
    return method


for _rpc_name in program.CONFIG_KINDS:
    setattr(ProgramConfigServicer, _rpc_name, _config_method(_rpc_name))


class MemberIndexServicer(member_index_pb2_grpc.MemberIndexServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def ClaimPhone(self, request, context):  # noqa: N802
        return member_index.claim_phone(self.session_factory, request)

    def LookupPhone(self, request, context):  # noqa: N802
        return member_index.lookup_phone(self.session_factory, request)

    def ReleasePhone(self, request, context):  # noqa: N802
        return member_index.release_phone(self.session_factory, request)

    def RegisterPhysicalCards(self, request, context):  # noqa: N802
        with self.session_factory.begin() as session:
            return card_directory.register_physical_cards(session, request)

    def ResolveCardNumber(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return card_directory.resolve_card_number(session, request)


class MemberViewServicer(member_view_pb2_grpc.MemberViewServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], phone_key: str) -> None:
        self.session_factory = session_factory
        self.phone_key = phone_key

    def GetMemberView(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return member_view.get_member_view(session, request, self.phone_key)


class ReportServicer(reports_pb2_grpc.ReportServiceServicer):
    """Streams rows as they are read; each call reads one consistent snapshot of the read models."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.session_factory = session_factory
        self.settings = settings

    @contextmanager
    def _snapshot(self) -> Iterator[Session]:
        # A report runs several queries (figures, tenders, names) while events keep arriving:
        # REPEATABLE READ makes them all see the same moment.
        with self.session_factory() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    def GetStoreDailySummary(self, request, context):  # noqa: N802
        with self._snapshot() as session:
            return reports.store_daily_summary(session, request.query)

    def StreamSalesReport(self, request, context):  # noqa: N802
        with self._snapshot() as session:
            for row in reports.sales_report(session, request.query):
                yield reports_pb2.StreamSalesReportResponse(row=row)

    def StreamTopMembers(self, request, context):  # noqa: N802
        with self._snapshot() as session:
            for row in reports.top_members(session, request.query):
                yield reports_pb2.StreamTopMembersResponse(row=row)

    def StreamLiabilityReport(self, request, context):  # noqa: N802
        with self._snapshot() as session:
            for row in reports.liability_report(session, request.query, self.settings):
                yield reports_pb2.StreamLiabilityReportResponse(row=row)

    def ExportReport(self, request, context):  # noqa: N802
        with self._snapshot() as session:
            for chunk in reports.export_report(session, request, self.settings):
                yield reports_pb2.ExportReportResponse(chunk=chunk)
