"""HQ's company accounts (C6, docs/adr/0045). On hq_service.models.Base; the schema change is
revision 0020 (migrations/versions/2026-12-03_companies.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now
from hq_service.models import Base


class CompanyRow(Base):
    """A company that buys cards by invoice (companies.proto Company)."""

    __tablename__ = "companies"

    company_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    # Unique: one company account per legal entity, so its invoices and receivable add up in one place.
    tax_id: Mapped[str] = mapped_column(String(18), unique=True)
    contact_name: Mapped[str] = mapped_column(String(64))
    # Normalised 11-digit mobile number: HQ's operators call it; it is not a member's phone (no HMAC index).
    contact_phone: Mapped[str] = mapped_column(String(11))
    home_region: Mapped[str] = mapped_column(String(8), index=True)
    franchisee_id: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
