"""gRPC servicer of HQ's CompanyService (C6): translation only (hq_service.handlers.companies)."""

from __future__ import annotations

import grpc
from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner
from chaincard.errors import Unimplemented
from chaincard.v1 import companies_pb2, companies_pb2_grpc
from hq_service.handlers import companies, company_credits, company_payments, company_recharges
from hq_service.unit_of_work import HqUnitOfWork


class CompanyServicer(companies_pb2_grpc.CompanyServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], commands: CommandRunner[HqUnitOfWork],
                 void_in_region: company_credits.VoidInRegion | None = None) -> None:
        self.session_factory = session_factory
        self.commands = commands
        self.void_in_region = void_in_region

    def CreateCompany(self, request: companies_pb2.CreateCompanyRequest, context: grpc.ServicerContext) -> companies_pb2.CreateCompanyResponse:  # noqa: N802 - gRPC method names
        return self.commands.run(companies.create_company, request)

    def GetCompany(self, request: companies_pb2.GetCompanyRequest, context: grpc.ServicerContext) -> companies_pb2.GetCompanyResponse:  # noqa: N802
        with self.session_factory() as session:
            answer = companies.get_company(session, request)
            owed = company_payments.owed(session, answer.company.company_id)
            answer.invoiced_fen, answer.paid_fen, answer.outstanding_fen = owed.invoiced_fen, owed.paid_fen, owed.outstanding_fen
            return answer

    def ListCompanies(self, request: companies_pb2.ListCompaniesRequest, context: grpc.ServicerContext) -> companies_pb2.ListCompaniesResponse:  # noqa: N802
        with self.session_factory() as session:
            return companies.list_companies(session, request)

    def BulkRecharge(self, request: companies_pb2.BulkRechargeRequest, context: grpc.ServicerContext) -> companies_pb2.BulkRechargeResponse:  # noqa: N802
        # Its own transaction: the job's unique request id is its idempotency record, and a retry
        # answers the job as it is now (not as it was when first placed).
        return company_recharges.bulk_recharge(self.session_factory, request)

    def GetBulkRecharge(self, request: companies_pb2.GetBulkRechargeRequest, context: grpc.ServicerContext) -> companies_pb2.GetBulkRechargeResponse:  # noqa: N802
        with self.session_factory() as session:
            return company_recharges.get_bulk_recharge(session, request)

    def ListCompanyCards(self, request: companies_pb2.ListCompanyCardsRequest, context: grpc.ServicerContext) -> companies_pb2.ListCompanyCardsResponse:  # noqa: N802
        with self.session_factory() as session:
            return company_recharges.list_company_cards(session, request)

    def RecordCompanyPayment(self, request: companies_pb2.RecordCompanyPaymentRequest, context: grpc.ServicerContext) -> companies_pb2.RecordCompanyPaymentResponse:  # noqa: N802
        # Its own transaction, as BulkRecharge: the payment's unique request id is its idempotency
        # record, and a retry answers the payment as it is now (its parts posted since or not).
        return company_payments.record_company_payment(self.session_factory, request)

    def CreditCompanyLine(self, request: companies_pb2.CreditCompanyLineRequest, context: grpc.ServicerContext) -> companies_pb2.CreditCompanyLineResponse:  # noqa: N802
        # Its own transactions around the region's call (as RecordCompanyPayment: the note's unique
        # request id is its idempotency record).
        if self.void_in_region is None:
            raise Unimplemented("credit notes need the regions' channels")
        return company_credits.credit_company_line(self.session_factory, self.void_in_region, request)
