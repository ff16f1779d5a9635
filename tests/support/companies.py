"""Company accounts for the tests of C6: a valid tax id per serial and a company message."""

from __future__ import annotations

from chaincard.tax_ids import check_character
from chaincard.v1 import companies_pb2


def tax_id(serial: int) -> str:
    """A valid unified social credit code of its own per ``serial``."""
    first_17 = f"91320500MA{serial:07d}"
    return first_17 + check_character(first_17)


def company(identifier: str, serial: int, **changes: str) -> companies_pb2.Company:
    wanted = companies_pb2.Company(company_id=identifier, name="苏州安科信息技术有限公司", tax_id=tax_id(serial),
                                   contact_name="王芳", contact_phone="+86 139-1234-5678", home_region="E",
                                   franchisee_id="F-AURORA")
    for name, value in changes.items():
        setattr(wanted, name, value)
    return wanted
