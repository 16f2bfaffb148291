"""Composition root: settings -> database -> services.

Entry points (CLI, web app, ingest server) call :func:`build` once and hand the resulting
:class:`Container` down. Nothing below this module reads settings. ``web`` and ``cli`` reach the
database only through here: :class:`UnitOfWork` (the type they hand to feature services),
:meth:`Container.uow`, and :func:`upgrade_database` / :func:`downgrade_database` for migrations;
they never import ``greenport.storage`` (an import-linter contract).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from greenport.config import Settings, get_settings
from greenport.notifications.model import Channel, NotificationConfig
from greenport.notifications.ports import Sender
from greenport.notifications.routes import load_routes
from greenport.notifications.senders import SmtpSender, WebhookSender, webhook_targets
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


def notification_config(settings: Settings) -> NotificationConfig:
    """The routes file in force: ``GREENPORT_NOTIFICATION_ROUTES`` or the shipped one."""
    return load_routes(settings.notification_routes)


def notification_senders(
    settings: Settings, config: NotificationConfig, environ: Mapping[str, str]
) -> dict[Channel, Sender]:
    """One sender per channel that is configured: e-mail when ``GREENPORT_SMTP_HOST`` is set,
    webhooks always (a route whose ``GREENPORT_WEBHOOK_*`` variable is unset fails with a reason
    naming the variable). ``environ`` holds the webhook variables (the process environment)."""
    senders: dict[Channel, Sender] = {
        Channel.WEBHOOK: WebhookSender(
            targets=webhook_targets(config, environ), config=config, base_url=settings.public_url
        )
    }
    if settings.smtp_host:
        senders[Channel.EMAIL] = SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            from_addr=settings.smtp_from,
            base_url=settings.public_url,
        )
    return senders


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


__all__ = [
    "Container",
    "UnitOfWork",
    "build",
    "database_problem",
    "downgrade_database",
    "notification_config",
    "notification_senders",
    "upgrade_database",
]
