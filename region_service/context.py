"""What every region handler needs, wired once in bootstrap.py."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from chaincard import member_codes
from chaincard.business_day import store_business_date
from chaincard.config import Settings
from chaincard.db.base import utc_now
from chaincard.ids import region_prefix_of
from chaincard.rpc.transport import PLAINTEXT, Transport
from chaincard.security.rate_limit import AttemptLimiter
from chaincard.v1 import member_index_pb2_grpc
from region_service.card_directory import CardDirectoryCache
from region_service.program import ProgramCache

if TYPE_CHECKING:
    from chaincard.commands import CommandRunner
    from region_service.forwarding import Forwarder
    from region_service.unit_of_work import RegionUnitOfWork


@dataclass
class RegionContext:
    settings: Settings
    session_factory: sessionmaker[Session]
    program: ProgramCache
    member_index: member_index_pb2_grpc.MemberIndexServiceStub
    card_directory: CardDirectoryCache
    # How this region reaches HQ and other regions (mTLS with its own certificate).
    transport: Transport = field(default=PLAINTEXT)
    # PIN and member look-up attempts, per card and per store (only the home region checks a PIN,
    # so it sees every attempt on its cards).
    pin_attempts: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(what="PIN attempts"))
    lookup_attempts: AttemptLimiter = field(default_factory=lambda: AttemptLimiter(what="member look-ups"))

    @property
    def region_code(self) -> str:
        return self.settings.region_code

    def home_region_of(self, card_number: str) -> str:
        """The home region of any card number (virtual by prefix, physical through HQ's directory), or
        of a QR member code's card (unverified: its home region checks it)."""
        card_number = member_codes.card_number_of(card_number)
        prefix = region_prefix_of(card_number)
        if prefix is not None:
            region = self.program.region_by_card_prefix(prefix)
            return region.code if region is not None else self.region_code
        resolved = self.card_directory.resolve(card_number)
        return resolved.home_region if resolved is not None else self.region_code

    @functools.cached_property
    def commands(self) -> CommandRunner[RegionUnitOfWork]:
        """The region's command pipeline: ``ctx.commands.run(handler, request)`` for every mutating RPC."""
        from chaincard.commands import CommandRunner
        from region_service.models import IdempotencyKey
        from region_service.unit_of_work import RegionUnitOfWork

        return CommandRunner(self.session_factory, IdempotencyKey, lambda session: RegionUnitOfWork(session, self))

    @functools.cached_property
    def peers(self) -> Forwarder:
        """Calls on the chain's other regions (one channel each): forwarded card calls, and what a
        handler asks of another region itself (a coupon given to a member homed there)."""
        from region_service.forwarding import Forwarder

        return Forwarder(self)

    def store_business_day(self, store_time_zone: str, moment: datetime | None = None) -> date:
        """Today's (or ``moment``'s) business day at a store in this region."""
        return store_business_date(moment or utc_now(), store_time_zone, chain_time_zone=self.settings.business_time_zone,
                                   cutoff=self.settings.business_day_cutoff)

    @property
    def producer_name(self) -> str:
        return f"region_service/{self.settings.region_code}"
