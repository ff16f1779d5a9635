"""HQ's company accounts (C6) over real gRPC and PostgreSQL: created once (a retry answers the same
company), read and listed by region and franchisee, and bad input refused naming the field with
nothing written."""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from chaincard.ids import new_id
from chaincard.rpc.channels import open_channel
from chaincard.v1 import companies_pb2, companies_pb2_grpc
from tests.support.companies import company, tax_id
from tests.support.regions import RunningRegions
from tests.support.sql import scalar

DEADLINE = 10.0


@pytest.fixture(scope="module")
def companies(regions: RunningRegions) -> Iterator[companies_pb2_grpc.CompanyServiceStub]:
    with open_channel(regions.hq_endpoint) as channel:
        yield companies_pb2_grpc.CompanyServiceStub(channel)


def _count(regions: RunningRegions) -> int:
    return int(scalar(regions.database_urls["hq"], "SELECT COUNT(*) FROM companies"))


def test_a_company_is_created_once_and_read_back(regions, companies) -> None:  # type: ignore[no-untyped-def]
    request = companies_pb2.CreateCompanyRequest(request_id=new_id(), company=company("CO-ANKE", 1))
    created = companies.CreateCompany(request, timeout=DEADLINE).company
    assert created.contact_phone == "13912345678" and created.created_at.seconds > 0
    assert companies.CreateCompany(request, timeout=DEADLINE).company == created  # a retry: the same answer
    assert companies.GetCompany(companies_pb2.GetCompanyRequest(company_id="CO-ANKE"), timeout=DEADLINE).company == created

    west = company("CO-WEST", 2, home_region="W", franchisee_id="F-BAMBOO")
    companies.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=west), timeout=DEADLINE)
    listed = companies.ListCompanies(companies_pb2.ListCompaniesRequest(home_region="E"), timeout=DEADLINE).companies
    assert "CO-ANKE" in {item.company_id for item in listed} and "CO-WEST" not in {item.company_id for item in listed}
    everyone = companies.ListCompanies(companies_pb2.ListCompaniesRequest(), timeout=DEADLINE).companies
    assert {"CO-ANKE", "CO-WEST"} <= {item.company_id for item in everyone}
    assert [item.company_id for item in everyone] == sorted(item.company_id for item in everyone)


def test_the_same_id_or_tax_id_again_is_already_exists(regions, companies) -> None:  # type: ignore[no-untyped-def]
    companies.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=company("CO-TWICE", 3)),
                            timeout=DEADLINE)
    before = _count(regions)
    for again in (company("CO-TWICE", 4), company("CO-OTHER", 3)):
        with pytest.raises(grpc.RpcError) as refused:
            companies.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=again), timeout=DEADLINE)
        assert refused.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert _count(regions) == before


@pytest.mark.parametrize(("change", "field"), [
    ({"company_id": ""}, "company.company_id"),
    ({"company_id": "CO ACME"}, "company.company_id"),
    ({"name": " "}, "company.name"),
    ({"name": "x" * 129}, "company.name"),
    ({"tax_id": "91320500MA1ACME002"}, "company.tax_id"),  # wrong check character
    ({"tax_id": "91320500MA1ACMEO01"}, "company.tax_id"),  # 'O' is not in the alphabet
    ({"contact_name": ""}, "company.contact_name"),
    ({"contact_phone": "12345"}, "company.contact_phone"),
    ({"home_region": "NOWHERE"}, "company.home_region"),
    ({"franchisee_id": "F-NOBODY"}, "company.franchisee_id"),
])
def test_bad_companies_are_refused_naming_the_field_and_write_nothing(regions, companies, change, field) -> None:  # type: ignore[no-untyped-def]
    before = _count(regions)
    wanted = company("CO-BAD", 9, **change)
    with pytest.raises(grpc.RpcError) as refused:
        companies.CreateCompany(companies_pb2.CreateCompanyRequest(request_id=new_id(), company=wanted), timeout=DEADLINE)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (refused.value.details() or "").startswith(field)
    assert _count(regions) == before


def test_an_unknown_company_is_not_found(companies) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(grpc.RpcError) as refused:
        companies.GetCompany(companies_pb2.GetCompanyRequest(company_id="CO-NONE"), timeout=DEADLINE)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND


def test_the_cli_creates_shows_and_lists_a_company_and_a_second_run_answers_the_same(regions, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from chaincard.cli import main

    monkeypatch.setenv("CHAINCARD_INSECURE", "1")  # the fixtures' HQ runs --insecure
    hq = ["--hq", regions.hq_endpoint]
    create = ["company", "create", "CO-CLI", "--name", "竹林科技", "--tax-id", tax_id(5), "--contact", "陈强",
              "--phone", "13800001111", "--region", "W", "--franchisee", "F-BAMBOO", *hq]
    assert main(create) == 0
    first = capsys.readouterr().out
    assert first.startswith("CO-CLI: 竹林科技  tax id ") and "home region W, buys from F-BAMBOO" in first
    assert main(create) == 0  # the derived request id: the same company, not ALREADY_EXISTS
    assert capsys.readouterr().out == first
    assert main(["company", "show", "CO-CLI", *hq]) == 0
    assert capsys.readouterr().out == first + "  invoiced ¥0.00, paid ¥0.00, outstanding ¥0.00\n"  # nothing bought yet
    assert main(["company", "list", "--region", "W", *hq]) == 0
    assert "CO-CLI:" in capsys.readouterr().out
    assert main(["company", "show", "CO-NONE", *hq]) == 1
    assert capsys.readouterr().err.startswith("NOT_FOUND")
