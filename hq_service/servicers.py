"""gRPC servicers of HQ: translate calls into handler calls, nothing more."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from chaincard.v1 import (
    directory_pb2,
    directory_pb2_grpc,
    member_index_pb2_grpc,
    member_view_pb2_grpc,
    program_config_pb2,
    program_config_pb2_grpc,
)
from hq_service.handlers import directory, member_index, member_view


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


class ProgramConfigServicer(program_config_pb2_grpc.ProgramConfigServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def UpsertCardType(self, request, context):  # noqa: N802
        with self.session_factory.begin() as session:
            return program_config_pb2.UpsertCardTypeResponse(card_type=directory.upsert_card_type(session, request))

    def UpsertLevel(self, request, context):  # noqa: N802
        with self.session_factory.begin() as session:
            return program_config_pb2.UpsertLevelResponse(level=directory.upsert_level(session, request))

    def GetConfigSnapshot(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            if request.known_version and request.known_version == directory.current_version(session):
                return program_config_pb2.GetConfigSnapshotResponse(unchanged=True)
            return program_config_pb2.GetConfigSnapshotResponse(snapshot=directory.config_snapshot(session))


class MemberIndexServicer(member_index_pb2_grpc.MemberIndexServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def ClaimPhone(self, request, context):  # noqa: N802
        return member_index.claim_phone(self.session_factory, request)

    def LookupPhone(self, request, context):  # noqa: N802
        return member_index.lookup_phone(self.session_factory, request)


class MemberViewServicer(member_view_pb2_grpc.MemberViewServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], phone_key: str) -> None:
        self.session_factory = session_factory
        self.phone_key = phone_key

    def GetMemberView(self, request, context):  # noqa: N802
        with self.session_factory() as session:
            return member_view.get_member_view(session, request, self.phone_key)
