"""The unit of work that services commit through.

A :class:`UnitOfWork` opens one session and exposes each feature's repository as an attribute
(``uow.registry``, ``uow.monitoring``, ...), built lazily from :data:`REPOSITORIES`. Feature
services type their argument with a ``typing.Protocol`` of their own ``ports.py`` (only the
attributes they use), so they never import storage.

    with container.uow() as uow:
        enterprises_service.register_enterprise(uow, credit_code=..., ...)

Leaving the block without an error commits; any exception rolls everything back.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy.orm import Session

from greenport.storage.accounts_repo import AccountsRepository
from greenport.storage.alarms_repo import AlarmsRepository
from greenport.storage.cases_repo import CasesRepository
from greenport.storage.db import Database
from greenport.storage.evaluation_repo import EvaluationRepository
from greenport.storage.monitoring_repo import MonitoringRepository
from greenport.storage.notifications_repo import NotificationsRepository
from greenport.storage.registry_repo import RegistryRepository
from greenport.storage.workdays_repo import WorkdaysRepository

#: attribute name -> repository class taking a Session. One line per feature; imported statically
#: so that import-linter sees every arrow.
REPOSITORIES: dict[str, type[Any]] = {
    "registry": RegistryRepository,
    "monitoring": MonitoringRepository,
    "evaluation": EvaluationRepository,
    "accounts": AccountsRepository,
    "alarms": AlarmsRepository,
    "notifications": NotificationsRepository,
    "workdays": WorkdaysRepository,
    "cases": CasesRepository,
}


class UnitOfWork:
    session: Session

    def __init__(self, db: Database) -> None:
        self.db = db
        self._repositories: dict[str, Any] = {}

    def __enter__(self) -> UnitOfWork:
        self.session = self.db.sessionmaker()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
            self._repositories.clear()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in REPOSITORIES:
            raise AttributeError(name)
        if name not in self._repositories:
            self._repositories[name] = REPOSITORIES[name](self.session)
        return self._repositories[name]
