"""HQ's unit of work: one database transaction of one command, with what its handler needs.

An HQ handler is ``handler(uow, request) -> response``; it reads and writes through ``uow.session``
and finds the operator settings (signing keys, clock, lock-out limits) in ``uow.operators``. It
never commits: chaincard.commands.CommandRunner does, together with the remembered answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from chaincard.commands import UnitOfWork

if TYPE_CHECKING:
    from hq_service.operators import OperatorContext


class HqUnitOfWork(UnitOfWork):
    def __init__(self, session: Session, operators: OperatorContext) -> None:
        super().__init__(session)
        self.operators = operators
