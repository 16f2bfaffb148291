from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, inspect, select, text

from greenport.storage.base import UTCDateTime
from greenport.storage.db import Database


def test_sqlite_turns_on_wal_and_foreign_keys(sqlite_url: str) -> None:
    database = Database.from_url(sqlite_url)
    with database.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()


def test_unit_of_work_rolls_back_everything_on_error(database_url: str) -> None:
    database = Database.from_url(database_url)
    meta = MetaData()
    table = Table("uow_probe", meta, Column("id", Integer, primary_key=True))
    meta.create_all(database.engine)
    with pytest.raises(RuntimeError), database.session() as session:
        session.execute(table.insert().values(id=1))
        raise RuntimeError("boom")
    with database.session() as session:
        assert session.execute(select(table)).all() == []
    database.dispose()


def test_utc_datetime_round_trips_aware_and_refuses_naive(database_url: str) -> None:
    database = Database.from_url(database_url)
    meta = MetaData()
    table = Table("time_probe", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime()))
    meta.create_all(database.engine)
    local = datetime(2022, 6, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    with database.session() as session:
        session.execute(table.insert().values(id=1, at=local))
    with database.session() as session:
        stored = session.execute(select(table.c.at)).scalar_one()
    assert stored == datetime(2022, 6, 1, 0, 0, tzinfo=UTC) and stored.tzinfo is not None
    with pytest.raises(Exception, match="naive"), database.session() as session:
        session.execute(table.insert().values(id=2, at=datetime(2022, 6, 1)))
    database.dispose()


def test_migrations_create_every_table_of_the_models(db: Database) -> None:
    from greenport.storage import tables  # noqa: F401
    from greenport.storage.base import Base

    present = set(inspect(db.engine).get_table_names())
    missing = {name for name in Base.metadata.tables if name not in present}
    assert not missing, f"tables defined in models but not created by migrations: {sorted(missing)}"


def test_migrations_match_the_models_exactly(db: Database) -> None:
    """Autogenerate finds nothing to do: every column, index and FK of the models is migrated."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from greenport.storage import tables  # noqa: F401
    from greenport.storage.base import Base

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_unit_of_work_commits_on_success_and_refuses_unknown_repositories(db: Database) -> None:
    from greenport.regions.model import DivisionLevel
    from greenport.storage.registry import DivisionRow
    from greenport.storage.uow import UnitOfWork

    with UnitOfWork(db) as uow:
        uow.session.add(DivisionRow(code="320582000000", name="港城市", level=DivisionLevel.CITY))
    with pytest.raises(ValueError), UnitOfWork(db) as uow:
        uow.session.add(DivisionRow(code="320582100000", name="镇", level=DivisionLevel.TOWN))
        raise ValueError("abort")
    with UnitOfWork(db) as uow:
        assert [r.code for r in uow.session.query(DivisionRow)] == ["320582000000"]
        with pytest.raises(AttributeError):
            _ = uow.no_such_repository
