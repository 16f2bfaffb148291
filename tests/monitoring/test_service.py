"""Monitoring service on both engines: late data re-derives aggregates; city figures from storage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from greenport.kernel.time import PeriodKind, local_day_bounds
from greenport.monitoring import service
from greenport.monitoring.model import IndexKind, Observation
from greenport.storage.db import Database
from greenport.storage.uow import UnitOfWork
from tests.ingest.conftest import populate

DAY = datetime(2022, 6, 1).date()
START, END = local_day_bounds(DAY)


def realtime(
    device: int, site: int, hour: datetime, minutes: range, value: float, received: datetime | None = None
) -> list[Observation]:
    """One real-time value per minute, received 30 s after sampling (on time) or at ``received``."""
    return [
        Observation(
            hour + timedelta(minutes=m),
            device,
            site,
            PeriodKind.RAW,
            "pm2_5",
            value,
            received_at=received or hour + timedelta(minutes=m, seconds=30),
        )
        for m in minutes
    ]


def test_late_data_is_marked_and_recomputes_the_hour_and_the_day(db: Database) -> None:
    devices = populate(db)
    device, site, _ = devices["GPAIR01"]
    hour = START + timedelta(hours=3)
    with UnitOfWork(db) as uow:
        service.store_observations(uow, observations=realtime(device, site, hour, range(0, 30), 40.0))
    with UnitOfWork(db) as uow:
        assert service.process_dirty(uow, before=END) == 1
    with UnitOfWork(db) as uow:
        (agg,) = uow.monitoring.aggregates(start=hour, end=hour + timedelta(hours=1), period=PeriodKind.HOUR)
    assert not agg.valid and agg.n_values == 30  # 30 minutes < 45 (GB 3095-2012 Table 4)

    late_at = hour + timedelta(days=2)
    with UnitOfWork(db) as uow:
        service.store_observations(
            uow, observations=realtime(device, site, hour, range(30, 60), 50.0, late_at)
        )
        assert service.process_dirty(uow, before=END) == 1
    with UnitOfWork(db) as uow:
        (agg,) = uow.monitoring.aggregates(start=hour, end=hour + timedelta(hours=1), period=PeriodKind.HOUR)
        late = [o.late for o in uow.monitoring.observations(start=hour, end=hour + timedelta(hours=1))]
        (day,) = [
            a
            for a in uow.monitoring.aggregates(start=START, end=END, period=PeriodKind.DAY)
            if a.parameter == "pm2_5"
        ]
    assert agg.valid and agg.value == 45.0 and agg.n_values == 60
    assert late.count(True) == 30  # received two days after the hour
    assert not day.valid and day.n_values == 1  # one valid hour of 24


def test_city_summary_from_stored_hourly_data(db: Database) -> None:
    devices = populate(db)
    observations = []
    for mn, value in (("GPAIR01", 20.0), ("GPAIR02", 40.0)):
        device, site, _ = devices[mn]
        for h in range(48):
            when = START + timedelta(hours=h)
            pm = value if h < 24 else 4 * value  # day 2: 80 and 160 -> city mean 120 > 75
            observations += [
                Observation(when, device, site, PeriodKind.HOUR, "pm2_5", pm, received_at=when),
                Observation(when, device, site, PeriodKind.HOUR, "so2", 5.0, received_at=when),
            ]
    section, site, _ = devices["GPSEC01"]
    for h in range(24):
        when = START + timedelta(hours=h)
        observations += [
            Observation(when, section, site, PeriodKind.HOUR, "nh3_n", 0.8, received_at=when),
            Observation(when, section, site, PeriodKind.HOUR, "codmn", 5.0, received_at=when),
        ]
    with UnitOfWork(db) as uow:
        service.store_observations(uow, observations=observations, mark_dirty=False)
        service.derive_from(uow, observations=observations)
    with UnitOfWork(db) as uow:
        summary = service.city_summary(uow, year=2022)
        aqi = service.index_values(
            uow, start=START, end=END + timedelta(days=1), period=PeriodKind.DAY, kind=IndexKind.AQI
        )
    assert summary.pm2_5_station_means == {"AIR01": 50.0, "AIR02": 100.0}
    assert summary.pm2_5_annual_mean == 75.0 and not summary.pm2_5_valid  # 2 days << 324
    assert (summary.good_days, summary.valid_days) == (1, 2)
    assert summary.water_classes == {"SEC01": 3}
    assert len(aqi) == 4 and all(i.value is not None for i in aqi)
    assert UTC  # aware times throughout
