"""gRPC servicer of the region's CouponBatchService (HQ's bulk coupon issue): translation only."""

from __future__ import annotations

import grpc

from chaincard.v1 import coupon_issue_pb2, coupon_issue_pb2_grpc
from region_service.context import RegionContext
from region_service.coupon_batch import issue_coupon_batch


class CouponBatchServicer(coupon_issue_pb2_grpc.CouponBatchServiceServicer):
    def __init__(self, ctx: RegionContext) -> None:
        self.ctx = ctx

    def IssueCouponBatch(  # noqa: N802 - gRPC method name
        self, request: coupon_issue_pb2.IssueCouponBatchRequest, context: grpc.ServicerContext,
    ) -> coupon_issue_pb2.IssueCouponBatchResponse:
        return self.ctx.commands.run(issue_coupon_batch, request)
