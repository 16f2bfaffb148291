"""Observations stored one row per reading, on both engines: what goes in comes out, a value
already stored is never replaced, values of a split frame are merged in with their own frame id,
and the migration converts the old one-row-per-value table both ways without losing a field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import DeviceFlag, Observation
from greenport.storage.db import Database
from greenport.storage.migrate import downgrade, upgrade
from greenport.storage.monitoring import pack_measurements
from greenport.storage.uow import UnitOfWork

T0 = datetime(2022, 6, 1, 8, tzinfo=UTC)
RECEIVED = datetime(2022, 6, 1, 9, tzinfo=UTC)
VALUES = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=64))

observation = st.builds(
    lambda minute, device, period, parameter, value, flag, zs, extra, frame, late, received: Observation(
        T0 + timedelta(minutes=minute),
        device,
        device * 10,
        period,
        parameter,
        value,
        flag,
        zs,
        *extra,
        frame,
        late,
        received,
    ),
    minute=st.integers(0, 2),
    device=st.integers(1, 2),
    period=st.sampled_from([PeriodKind.RAW, PeriodKind.MINUTE]),
    parameter=st.sampled_from(["pm2_5", "so2", "flue_nox", "hj212:a99948"]),
    value=VALUES,
    flag=st.sampled_from(list(DeviceFlag)),
    zs=VALUES,
    extra=st.tuples(VALUES, VALUES, VALUES),
    frame=st.one_of(st.none(), st.integers(1, 6)),
    late=st.booleans(),
    received=st.sampled_from([RECEIVED, RECEIVED + timedelta(days=2, microseconds=250)]),
)


def _key(o: Observation) -> tuple[Any, ...]:
    return (o.data_time, o.device_id, o.period.value, o.parameter)


def _read_all(db: Database) -> list[Observation]:
    with UnitOfWork(db) as uow:
        return uow.monitoring.observations(start=T0, end=T0 + timedelta(hours=1))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    batches=st.lists(st.lists(observation, max_size=12), min_size=1, max_size=4),
    one_transaction=st.booleans(),
)
def test_every_value_is_stored_once_and_the_first_one_stays(
    db: Database, batches: list[list[Observation]], one_transaction: bool
) -> None:
    with UnitOfWork(db) as uow:
        uow.session.execute(sa.text("DELETE FROM observations"))
    if one_transaction:
        with UnitOfWork(db) as uow:
            for batch in batches:
                uow.monitoring.store(observations=batch)
    else:
        for batch in batches:
            with UnitOfWork(db) as uow:
                uow.monitoring.store(observations=batch)

    first: dict[tuple[Any, ...], Observation] = {}
    for batch in batches:
        for o in batch:
            first.setdefault(_key(o), o)
    stored = _read_all(db)
    assert [_key(o) for o in stored] == sorted(first)  # each value once, in key order
    assert stored == [first[key] for key in sorted(first)]  # the first one, every field of it
    with UnitOfWork(db) as uow:
        assert uow.monitoring.count_observations() == len(first)


def test_a_re_sent_frame_adds_nothing_and_a_split_frame_is_merged_with_its_frame_ids(db: Database) -> None:
    def obs(parameter: str, value: float, frame: int) -> Observation:
        return Observation(T0, 1, 10, PeriodKind.RAW, parameter, value, frame_id=frame, received_at=RECEIVED)

    first_half = [obs("pm2_5", 30.0, 100), obs("pm10", 50.0, 100)]
    with UnitOfWork(db) as uow:
        uow.monitoring.store(observations=first_half)
    with UnitOfWork(db) as uow:  # re-sent with another value (a device must not rewrite history)
        uow.monitoring.store(observations=[obs("pm2_5", 99.0, 101), obs("pm10", 99.0, 101)])
    with UnitOfWork(db) as uow:  # the second packet of a split upload
        uow.monitoring.store(observations=[obs("so2", 8.0, 102), obs("no2", 20.0, 102)])
    stored = {o.parameter: (o.value, o.frame_id) for o in _read_all(db)}
    assert stored == {"pm2_5": (30.0, 100), "pm10": (50.0, 100), "so2": (8.0, 102), "no2": (20.0, 102)}
    with UnitOfWork(db) as uow:
        assert uow.monitoring.count_observations() == 4


def test_a_month_whose_first_batch_failed_can_still_be_stored(db: Database) -> None:
    """A batch that created a new monthly partition (PostgreSQL) and then rolled back must not
    leave the month without one: the next batch for that month is stored."""
    month = datetime(2031, 5, 1, tzinfo=UTC)
    reading = Observation(month, 1, 10, PeriodKind.RAW, "pm2_5", 30.0, received_at=RECEIVED)

    class BatchFailed(Exception):
        pass

    with pytest.raises(BatchFailed), UnitOfWork(db) as uow:
        uow.monitoring.store(observations=[reading])
        raise BatchFailed  # e.g. the commit refused: nothing of the batch is kept
    with UnitOfWork(db) as uow:
        assert uow.monitoring.count_observations() == 0
    with UnitOfWork(db) as uow:
        uow.monitoring.store(observations=[reading])
    with UnitOfWork(db) as uow:
        stored = uow.monitoring.observations(start=month, end=month + timedelta(hours=1))
    assert [(o.data_time, o.value) for o in stored] == [(month, 30.0)]


def test_a_value_that_json_cannot_hold_is_refused_not_nulled() -> None:
    with pytest.raises(ValueError, match="inf"):
        pack_measurements({"pm2_5": [float("inf"), "N"]})


OLD_ROWS = [
    # data_time, device, period, parameter, site, value, flag, zs, min, max, cou, frame, late, received
    (T0, 1, "raw", "pm2_5", 10, 35.5, "N", None, None, None, None, 7, False, RECEIVED),
    (T0, 1, "raw", "so2", 10, None, "D", None, None, None, None, 7, False, RECEIVED),
    (T0, 1, "raw", "flue_nox", 10, 41.0, "N", 55.25, None, None, None, 8, True, RECEIVED + timedelta(days=1)),
    (T0, 2, "minute", "cod", 20, 12.0, "N", None, 10.0, 14.5, 3.25, None, True, RECEIVED),
    (T0 + timedelta(minutes=1), 1, "raw", "pm2_5", 10, 36.0, "T", None, None, None, None, 9, False, RECEIVED),
]
OLD_COLUMNS = (
    "data_time, device_id, period, parameter, site_id, value, flag, zs_value, min_value, max_value, cou, "
    "frame_id, late, received_at"
)


def test_the_migration_converts_old_observations_both_ways(database_url: str) -> None:
    upgrade(database_url, "0101_monitoring")
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    names = OLD_COLUMNS.split(", ")
    insert = sa.text(f"INSERT INTO observations ({OLD_COLUMNS}) VALUES ({', '.join(':' + n for n in names)})")
    insert = insert.bindparams(
        sa.bindparam("data_time", type_=sa.DateTime(timezone=True)),
        sa.bindparam("received_at", type_=sa.DateTime(timezone=True)),
    )
    with engine.begin() as conn:
        conn.execute(insert, [dict(zip(names, row, strict=True)) for row in OLD_ROWS])
    upgrade(database_url)
    db = Database.from_url(database_url)
    try:
        stored = {(o.device_id, o.data_time, o.parameter): o for o in _read_all(db)}
        assert len(stored) == len(OLD_ROWS)
        for row in OLD_ROWS:
            o = stored[(row[1], row[0], row[3])]
            assert (o.period.value, o.site_id, o.value, o.flag.value, o.zs_value) == (row[2], *row[4:8])
            assert (o.min_value, o.max_value, o.cou, o.frame_id, o.late, o.received_at) == row[8:]
    finally:
        db.dispose()
    downgrade(database_url, "0101_monitoring")
    with engine.connect() as conn:
        back = conn.execute(
            sa.text(
                f"SELECT {OLD_COLUMNS} FROM observations ORDER BY data_time, device_id, period, parameter"
            )
        ).all()
    engine.dispose()
    normalised = [
        tuple(
            (v if v.tzinfo else v.replace(tzinfo=UTC)) if isinstance(v, datetime) else v
            for v in (*row[:12], bool(row[12]), row[13])
        )
        for row in back
    ]
    normalised = [
        tuple(
            datetime.fromisoformat(v).replace(tzinfo=UTC) if isinstance(v, str) and i in (0, 13) else v
            for i, v in enumerate(row)
        )
        for row in normalised
    ]
    assert normalised == sorted(OLD_ROWS, key=lambda r: (r[0], r[1], r[2], r[3]))
