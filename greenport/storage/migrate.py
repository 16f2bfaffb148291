"""Apply Alembic migrations programmatically (``greenport db upgrade``).

Each feature keeps its migrations on its own Alembic branch rooted at the base revision, so
features can grow their tables independently; ``upgrade heads`` applies them all.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

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
