"""HQ's operator tables (H2): operators, the tokens issued to them, and the idempotency keys of
HQ's commands (first OperatorService's, hence the table's name). On hq_service.models.Base; the schema change is revision 0004
(migrations/versions/2026-11-26_operators.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from chaincard.db.base import UtcTimestamp, utc_now
from chaincard.db.idempotency import IdempotencyKeyColumns
from chaincard.security.identity import Scope, ScopeLevel
from hq_service.models import Base


class Operator(Base):
    """A person or integration that calls ChainCard, with one role and one scope."""

    __tablename__ = "operators"

    operator_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    login_name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    # chaincard.security.identity.Role name, e.g. "STORE_MANAGER".
    role: Mapped[str] = mapped_column(String(32))
    # "chain", "region", "franchisee", "store" or "company", and the region code / franchisee id /
    # store id / company id (a company scope only with the COMPANY_ADMIN role, C6).
    scope_level: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str] = mapped_column(String(64), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    staff_id: Mapped[str] = mapped_column(String(64), default="")
    # scrypt$n$r$p$salt$hash (chaincard.security.passwords); empty: cannot log in.
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    # Consecutive failed log-ins; reaching the limit locks the operator until locked_until.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp, default=utc_now, onupdate=utc_now)

    def scope(self) -> Scope:
        return Scope(ScopeLevel.from_label(self.scope_level), self.scope_id)


class OperatorToken(Base):
    """Every token issued: for RevokeToken, the deny list, and replaying an IssueToken. The token
    itself is never stored: its claims are, and signing them again (Ed25519 is deterministic)
    gives the same token back."""

    __tablename__ = "operator_tokens"

    token_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    operator_id: Mapped[str] = mapped_column(String(32), index=True)
    key_id: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(80))
    issued_at: Mapped[int] = mapped_column(BigInteger)  # Unix seconds, as in the token
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcTimestamp, nullable=True)
    revoked_by: Mapped[str] = mapped_column(String(32), default="")


class OperatorRequest(IdempotencyKeyColumns, Base):
    """HQ's idempotency keys: the answers of its commands by request_id (passwords digested in the
    fingerprint, IssueToken's answer without the token). The key table of HQ's one command runner
    (hq_service.bootstrap.hq_commands): directory, program configuration, physical cards and
    operators. It was OperatorService's alone at first, hence ``operator_requests``."""

    __tablename__ = "operator_requests"
