"""gRPC servicer of HQ's CompanyService (C6): translation only (hq_service.handlers.companies)."""

from __future__ import annotations

import grpc
from sqlalchemy.orm import Session, sessionmaker

from chaincard.commands import CommandRunner
from chaincard.v1 import companies_pb2, companies_pb2_grpc
from hq_service.handlers import companies
from hq_service.unit_of_work import HqUnitOfWork


class CompanyServicer(companies_pb2_grpc.CompanyServiceServicer):
    def __init__(self, session_factory: sessionmaker[Session], commands: CommandRunner[HqUnitOfWork]) -> None:
        self.session_factory = session_factory
        self.commands = commands

    def CreateCompany(self, request: companies_pb2.CreateCompanyRequest, context: grpc.ServicerContext) -> companies_pb2.CreateCompanyResponse:  # noqa: N802 - gRPC method names
        return self.commands.run(companies.create_company, request)

    def GetCompany(self, request: companies_pb2.GetCompanyRequest, context: grpc.ServicerContext) -> companies_pb2.GetCompanyResponse:  # noqa: N802
        with self.session_factory() as session:
            return companies.get_company(session, request)

    def ListCompanies(self, request: companies_pb2.ListCompaniesRequest, context: grpc.ServicerContext) -> companies_pb2.ListCompaniesResponse:  # noqa: N802
        with self.session_factory() as session:
            return companies.list_companies(session, request)
