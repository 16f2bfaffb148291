"""``greenport db upgrade|downgrade``: schema migrations."""

from __future__ import annotations

import typer

from greenport.bootstrap import downgrade_database, upgrade_database
from greenport.config import get_settings

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade(
    database: str = typer.Option(None, "--database", help="Database URL (default: GREENPORT_DATABASE_URL)."),
    revision: str = typer.Option("heads", help="Target revision."),
) -> None:
    """Apply migrations up to REVISION (default: all heads)."""
    url = database or get_settings().database_url
    upgrade_database(url, revision)
    typer.echo(f"database at {url} is up to date ({revision})")


@db_app.command("downgrade")
def downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. base."),
    database: str = typer.Option(None, "--database", help="Database URL."),
) -> None:
    """Revert migrations down to REVISION."""
    downgrade_database(database or get_settings().database_url, revision)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
