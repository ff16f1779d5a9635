"""gRPC servicer of HQ's BulkCouponIssueService: translation only (hq_service.handlers.bulk_issue)."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner
from chaincard.v1 import coupon_issue_pb2, coupon_issue_pb2_grpc
from hq_service.handlers import bulk_issue
from hq_service.unit_of_work import HqUnitOfWork


class BulkCouponIssueServicer(coupon_issue_pb2_grpc.BulkCouponIssueServiceServicer):
    """StartBulkIssue keeps its own transaction: the job's unique request id is its idempotency
    record (a stream has no single request message for HQ's key table)."""

    def __init__(self, session_factory: sessionmaker[Session], commands: CommandRunner[HqUnitOfWork]) -> None:
        self.session_factory = session_factory
        self.commands = commands

    def StartBulkIssue(self, request_iterator: Iterator[coupon_issue_pb2.StartBulkIssueRequest], context: grpc.ServicerContext) -> coupon_issue_pb2.StartBulkIssueResponse:  # noqa: N802 - gRPC method names
        return bulk_issue.start_bulk_issue(self.session_factory, request_iterator)

    def GetBulkIssue(self, request: coupon_issue_pb2.GetBulkIssueRequest, context: grpc.ServicerContext) -> coupon_issue_pb2.GetBulkIssueResponse:  # noqa: N802
        with self.session_factory() as session:
            return bulk_issue.get_bulk_issue(session, request)

    def ListBulkIssues(self, request: coupon_issue_pb2.ListBulkIssuesRequest, context: grpc.ServicerContext) -> coupon_issue_pb2.ListBulkIssuesResponse:  # noqa: N802
        with self.session_factory() as session:
            return bulk_issue.list_bulk_issues(session, request)

    def UpsertMemberFilter(self, request: coupon_issue_pb2.UpsertMemberFilterRequest, context: grpc.ServicerContext) -> coupon_issue_pb2.UpsertMemberFilterResponse:  # noqa: N802
        return self.commands.run(bulk_issue.upsert_member_filter, request)

    def ListMemberFilters(self, request: coupon_issue_pb2.ListMemberFiltersRequest, context: grpc.ServicerContext) -> coupon_issue_pb2.ListMemberFiltersResponse:  # noqa: N802
        with self.session_factory() as session:
            return bulk_issue.list_member_filters(session)
