"""Shared fixtures: databases on SQLite (always) and PostgreSQL (when a server is given).

``db`` is parametrised over both engines; a PostgreSQL test skips with the reason when
``GREENPORT_TEST_POSTGRES_URL`` is unset, and *fails* in CI (CI=true) so a missing server
can never turn into a silent green.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from greenport.storage.db import Database, normalise_url
from greenport.storage.migrate import upgrade

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
POSTGRES_URL = os.environ.get("GREENPORT_TEST_POSTGRES_URL", "")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", default=False, help="run slow soak tests")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow soak test: run with --runslow (or in bench/)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)


def shared_path(*parts: str) -> Path:
    """A file under ../shared (reference, data, seeds); skip if this checkout has none beside it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared file {path} not present beside this checkout")
    return path


def require_postgres() -> str:
    if not POSTGRES_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must provide GREENPORT_TEST_POSTGRES_URL (see .ci/run)")
        pytest.skip("no PostgreSQL server given: set GREENPORT_TEST_POSTGRES_URL to run this test")
    return POSTGRES_URL


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    server = normalise_url(require_postgres())
    name = f"gp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'greenport.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL on each engine."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'greenport.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database on each engine."""
    upgrade(database_url)
    database = Database.from_url(database_url)
    try:
        yield database
    finally:
        database.dispose()
