"""HQ's company accounts (C6, docs/adr/0045): create, read, list. A company is created once: its id
and its tax id are each unique, and a change of either is a new account, never an edit (the
invoices already sent name them). CreateCompany runs through HQ's command runner, which owns the
request id, its replay and the commit."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from chaincard.db.base import utc_now
from chaincard.errors import AlreadyExists, InvalidArgument, NotFound
from chaincard.phones import mask_phone, normalise_phone
from chaincard.security.identity import Place
from chaincard.tax_ids import is_valid_tax_id
from chaincard.v1 import companies_pb2
from chaincard.validation import require_text
from hq_service import audit_log
from hq_service.company_models import CompanyRow
from hq_service.models import Franchisee, Region
from hq_service.unit_of_work import HqUnitOfWork

_COMPANY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def company_id(value: str, field: str = "company_id") -> str:
    """A well-formed company id, or INVALID_ARGUMENT naming ``field``."""
    if not _COMPANY_ID.match(value or ""):
        raise InvalidArgument(field, "must be 1 to 32 letters, digits, '-' or '_'")
    return value


def _valid_row(session: Session, company: companies_pb2.Company) -> CompanyRow:
    """The row ``company`` asks for, every field checked (in field order) before anything is written."""
    row = CompanyRow(
        company_id=company_id(company.company_id, "company.company_id"),
        name=require_text("company.name", company.name, max_length=128),
        tax_id=company.tax_id,
        contact_name=require_text("company.contact_name", company.contact_name, max_length=64),
        contact_phone=normalise_phone(company.contact_phone) or "",
        home_region=company.home_region,
        franchisee_id=company.franchisee_id,
        created_at=utc_now(),
    )
    if not is_valid_tax_id(company.tax_id):
        raise InvalidArgument("company.tax_id", "must be an 18-character unified social credit code with a valid check character")
    if not row.contact_phone:
        raise InvalidArgument("company.contact_phone", "must be a mainland mobile number (11 digits, optionally +86)")
    if not company.home_region or session.get(Region, company.home_region) is None:
        raise InvalidArgument("company.home_region", f"unknown region {company.home_region!r}")
    if not company.franchisee_id or session.get(Franchisee, company.franchisee_id) is None:
        raise InvalidArgument("company.franchisee_id", f"unknown franchisee {company.franchisee_id!r}")
    return row


def create_company(uow: HqUnitOfWork, request: companies_pb2.CreateCompanyRequest) -> companies_pb2.CreateCompanyResponse:
    session = uow.session
    row = _valid_row(session, request.company)
    if session.get(CompanyRow, row.company_id) is not None:
        raise AlreadyExists(f"company {row.company_id} already exists")
    holder = session.execute(select(CompanyRow.company_id).where(CompanyRow.tax_id == row.tax_id)).scalar_one_or_none()
    if holder is not None:
        raise AlreadyExists(f"tax id {row.tax_id} is already company {holder}'s")
    session.add(row)
    session.flush()
    stored = company_message(row)
    # The audit log keeps the contact's number masked, as it does members' (DESIGN §2).
    audited = companies_pb2.Company()
    audited.CopyFrom(stored)
    audited.contact_phone = mask_phone(row.contact_phone)
    audit_log.record(session, action=audit_log.rpc("CompanyService", "CreateCompany"), target_type="company",
                     target_id=row.company_id, place=Place(region=row.home_region, franchisee=row.franchisee_id),
                     after=audited, request_id=request.request_id)
    return companies_pb2.CreateCompanyResponse(company=stored)


def company_message(row: CompanyRow) -> companies_pb2.Company:
    message = companies_pb2.Company(
        company_id=row.company_id, name=row.name, tax_id=row.tax_id, contact_name=row.contact_name,
        contact_phone=row.contact_phone, home_region=row.home_region, franchisee_id=row.franchisee_id)
    message.created_at.FromDatetime(row.created_at)
    return message


def get_company(session: Session, request: companies_pb2.GetCompanyRequest) -> companies_pb2.GetCompanyResponse:
    row = session.get(CompanyRow, company_id(request.company_id))
    if row is None:
        raise NotFound(f"no company {request.company_id!r}")
    return companies_pb2.GetCompanyResponse(company=company_message(row))


def list_companies(session: Session, request: companies_pb2.ListCompaniesRequest) -> companies_pb2.ListCompaniesResponse:
    query = select(CompanyRow).order_by(CompanyRow.company_id)
    if request.home_region:
        query = query.where(CompanyRow.home_region == request.home_region)
    if request.franchisee_id:
        query = query.where(CompanyRow.franchisee_id == request.franchisee_id)
    return companies_pb2.ListCompaniesResponse(companies=[company_message(row) for row in session.execute(query).scalars()])
