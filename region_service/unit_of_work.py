"""The region's unit of work: one database transaction of one command, with what its handler needs.

A region handler is ``handler(uow, request) -> response``; it reads and writes through
``uow.session`` and finds the program, settings and clients in ``uow.region``. It never commits:
chaincard.commands.CommandRunner does, together with the remembered answer.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from chaincard.commands import UnitOfWork
from region_service.context import RegionContext


class RegionUnitOfWork(UnitOfWork):
    def __init__(self, session: Session, region: RegionContext) -> None:
        super().__init__(session)
        self.region = region
