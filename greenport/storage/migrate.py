"""Apply Alembic migrations programmatically (``greenport db upgrade``).

Each feature keeps its migrations on its own Alembic branch rooted at the base revision, so
features can grow their tables independently; ``upgrade heads`` applies them all.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from greenport.storage.db import normalise_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database at ``url`` to ``revision`` (default: every head)."""
    command.upgrade(alembic_config(normalise_url(url)), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(normalise_url(url)), revision)


def schema_problem(url: str) -> str | None:
    """Why the database at ``url`` cannot be read as GreenPort's, in one line, or None if it can.

    Creates nothing: a missing SQLite file is reported, not made (connecting would create an
    empty one). A database without Alembic's revision (never migrated) or behind the migration
    heads is reported with the command that fixes it.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(str(parsed.database))
        if not path.is_file():
            return f"no database at {path.resolve()} (give --database-url or set GREENPORT_DATABASE_URL)"
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as exc:
        return f"cannot open the database {shown}: {str(getattr(exc, 'orig', exc)).splitlines()[0]}"
    finally:
        engine.dispose()
    if not current:
        return f"the database {shown} has no GreenPort tables: run `greenport db upgrade` first"
    expected = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    if current != expected:
        return f"the database {shown} is not at the current schema: run `greenport db upgrade`"
    return None
