"""What every region handler needs, wired once in bootstrap.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from chaincard.config import Settings
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

    @property
    def region_code(self) -> str:
        return self.settings.region_code

    @property
    def producer_name(self) -> str:
        return f"region_service/{self.settings.region_code}"
