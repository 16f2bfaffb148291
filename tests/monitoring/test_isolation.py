"""One failing site or hour never blocks the others' aggregation (issue 12, item 1).

A stored hourly NO2 of 1e308 (stored by an older version, before ingest refused values no
instrument gives) made every aggregation cycle fail, and since the dirty marks are taken in one
batch no site's hourly aggregate was computed any more. The value is inserted here directly,
bypassing ingest, as such a row would be.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from greenport.kernel.time import PeriodKind
from greenport.monitoring import service
from greenport.monitoring.model import AggregationFailure, Observation
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.ingest.conftest import populate

#: 10:00 China time on a day HJ 633-2026 is in force (its rounding overflowed on 1e308)
HOUR = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)


def hourly(device: int, site: int, values: dict[str, float]) -> list[Observation]:
    return [
        Observation(
            HOUR, device, site, PeriodKind.HOUR, parameter, value, received_at=HOUR + timedelta(hours=1)
        )
        for parameter, value in values.items()
    ]


def test_an_absurd_stored_value_fails_only_its_own_site_and_hour_and_is_recorded(db: Database) -> None:
    devices = populate(db)
    bad_device, bad_site, _ = devices["GPAIR01"]
    good_device, good_site, _ = devices["GPAIR02"]
    with UnitOfWork(db) as uow:
        service.store_observations(
            uow,
            observations=[
                *hourly(bad_device, bad_site, {"no2": 1e308, "pm2_5": 35.0}),
                *hourly(good_device, good_site, {"no2": 40.0, "pm2_5": 35.0}),
            ],
        )
    with UnitOfWork(db) as uow:
        assert service.process_dirty(uow, before=HOUR + timedelta(days=2)) == 2
    with UnitOfWork(db) as uow:
        aggregates = uow.monitoring.aggregates(
            start=HOUR, end=HOUR + timedelta(hours=1), period=PeriodKind.HOUR
        )
        failures = service.aggregation_failures(uow)
    assert {(a.site_id, a.parameter, a.value) for a in aggregates} == {
        (good_site, "no2", 40.0),
        (good_site, "pm2_5", 35.0),
    }  # the good site is aggregated; nothing of the failing one is half-written
    assert [(f.site_id, f.period_start) for f in failures] == [(bad_site, HOUR)]
    assert "no2" in failures[0].error and "InvalidInput" in failures[0].error

    # an hour that failed once and is computed again clears its record; a failing one keeps it
    with UnitOfWork(db) as uow:
        uow.monitoring.record_aggregation_failure(AggregationFailure(good_site, HOUR, HOUR, "earlier"))
        uow.monitoring.store(dirty=[(good_site, HOUR), (bad_site, HOUR)])
    with UnitOfWork(db) as uow:
        assert service.process_dirty(uow, before=HOUR + timedelta(days=2)) == 2
    with UnitOfWork(db) as uow:
        assert [(f.site_id, f.period_start) for f in service.aggregation_failures(uow)] == [(bad_site, HOUR)]
