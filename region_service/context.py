"""What every region handler needs, wired once in bootstrap.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
from chaincard.ids import region_prefix_of
from chaincard.rpc.transport import PLAINTEXT, Transport
from chaincard.security.rate_limit import AttemptLimiter
from chaincard.v1 import member_index_pb2_grpc
from region_service.card_directory import CardDirectoryCache
from region_service.program import ProgramCache


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
        """The home region of any card number (virtual by prefix, physical through HQ's directory)."""
        prefix = region_prefix_of(card_number)
        if prefix is not None:
            region = self.program.region_by_card_prefix(prefix)
            return region.code if region is not None else self.region_code
        resolved = self.card_directory.resolve(card_number)
        return resolved.home_region if resolved is not None else self.region_code

    @property
    def producer_name(self) -> str:
        return f"region_service/{self.settings.region_code}"
