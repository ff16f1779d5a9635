"""gRPC servicer of the region's CompanyOrderService (HQ's company bulk recharge, C6): translation only."""

from __future__ import annotations

import grpc

from chaincard.v1 import companies_pb2, companies_pb2_grpc
from region_service.company_credits import void_company_line
from region_service.company_orders import post_company_order
from region_service.company_payments import post_company_payment
from region_service.context import RegionContext


class CompanyOrderServicer(companies_pb2_grpc.CompanyOrderServiceServicer):
    def __init__(self, ctx: RegionContext) -> None:
        self.ctx = ctx

    def PostCompanyOrder(  # noqa: N802 - gRPC method name
        self, request: companies_pb2.PostCompanyOrderRequest, context: grpc.ServicerContext,
    ) -> companies_pb2.PostCompanyOrderResponse:
        return self.ctx.commands.run(post_company_order, request)

    def PostCompanyPayment(  # noqa: N802 - gRPC method name
        self, request: companies_pb2.PostCompanyPaymentRequest, context: grpc.ServicerContext,
    ) -> companies_pb2.PostCompanyPaymentResponse:
        return self.ctx.commands.run(post_company_payment, request)

    def VoidCompanyLine(  # noqa: N802 - gRPC method name
        self, request: companies_pb2.VoidCompanyLineRequest, context: grpc.ServicerContext,
    ) -> companies_pb2.VoidCompanyLineResponse:
        return self.ctx.commands.run(void_company_line, request)
