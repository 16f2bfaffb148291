"""Composition root: settings -> database -> services.

Entry points (CLI, web app, ingest server) call :func:`build` once and hand the resulting
:class:`Container` down. Nothing below this module reads settings. ``web`` and ``cli`` reach the
database only through here: :class:`UnitOfWork` (the type they hand to feature services),
:meth:`Container.uow`, and :func:`upgrade_database` / :func:`downgrade_database` for migrations;
they never import ``greenport.storage`` (an import-linter contract).
"""

from __future__ import annotations

from dataclasses import dataclass

from greenport.config import Settings, get_settings
from greenport.storage.db import Database
from greenport.storage.migrate import downgrade, schema_problem, upgrade
from greenport.storage.uow import UnitOfWork


@dataclass
class Container:
    settings: Settings
    db: Database

    def uow(self) -> UnitOfWork:
        """A new unit of work (use as a context manager: commit on success, roll back on error)."""
        return UnitOfWork(self.db)


def build(settings: Settings | None = None, *, migrate: bool = False) -> Container:
    """Wire the application for ``settings``; with ``migrate`` bring the schema up to date first."""
    settings = settings or get_settings()
    if migrate:
        upgrade(settings.database_url)
    db = Database.from_url(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    return Container(settings=settings, db=db)


def database_problem(database_url: str) -> str | None:
    """Why the database cannot be read (missing file, not migrated, unreachable), or None; creates nothing."""
    return schema_problem(database_url)


def upgrade_database(database_url: str, revision: str = "heads") -> None:
    """Apply the schema migrations of every feature up to ``revision`` (default: all heads)."""
    upgrade(database_url, revision)


def downgrade_database(database_url: str, revision: str) -> None:
    """Revert the schema migrations down to ``revision`` (e.g. ``base``)."""
    downgrade(database_url, revision)


__all__ = ["Container", "UnitOfWork", "build", "database_problem", "downgrade_database", "upgrade_database"]
