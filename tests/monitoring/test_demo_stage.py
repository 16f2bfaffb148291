"""The demo monitoring stage: calibration to the seeds' 2022 figures, shapes from the Beijing data,
and a short back-fill through the storage path."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from greenport.demo import monitoring as stage
from greenport.monitoring.model import IndexKind
from tests.conftest import shared_path


def seed_figure(key: str) -> float:
    """A 2022 figure of Zhangjiagang from the seeds (reference/seed-figures.csv), not from our code."""
    with open(shared_path("reference", "seed-figures.csv"), encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["canonical_key"] == key and row["year"] == "2022" and row["entity"] == "Zhangjiagang":
                return float(row["value"])
    pytest.skip(f"{key} not in seed-figures.csv")


def test_calibration_reproduces_the_published_2022_figures() -> None:
    """To the precision they are published with (one decimal)."""
    pm25, good = seed_figure("pm2_5_annual_mean"), seed_figure("good_air_day_ratio")
    days = 365
    months = np.array([(date(2022, 1, 1) + timedelta(days=d)).month for d in range(days)])
    components = stage.air_log_components(stage.load_shapes(), 18, days, months, 2022)
    outage = slice(256 * 24, 258 * 24)  # 14-15 September, local days
    hourly, figures = stage.calibrate(components, range(5), days, 2022, missing=outage)
    assert round(figures["pm2_5_annual_mean"], 1) == pm25
    assert round(figures["good_day_ratio"], 1) == good
    assert (
        np.isnan(hourly["pm2_5"][:, outage]).all() and not np.isnan(hourly["pm2_5"][:, : outage.start]).any()
    )
    again, _ = stage.calibrate(components, range(5), days, 2022, missing=outage)
    assert all(np.array_equal(hourly[k], again[k], equal_nan=True) for k in hourly)  # deterministic


def test_a_day_without_any_city_station_is_not_a_valid_day() -> None:
    """HJ 663-2013 §5.3: the good-day ratio is over the days with a city AQI."""
    days = 4
    low = {"so2": 10.0, "no2": 10.0, "co": 0.5, "o3": 10.0, "pm10": 10.0, "pm2_5": 10.0}  # AQI <= 50
    hourly = {key: np.full((2, days * 24), value) for key, value in low.items()}
    hourly["pm2_5"][:, 24:48] = 200.0  # day 2 heavily polluted
    _, ratio = stage.city_figures(hourly, [0, 1], days, 2022)
    assert ratio == 75.0
    for values in hourly.values():
        values[:, 48:72] = np.nan  # day 3: no station reports
    _, ratio = stage.city_figures(hourly, [0, 1], days, 2022)
    assert round(ratio, 3) == round(2 / 3 * 100, 3)


@pytest.mark.slow
def test_the_shipped_shapes_are_derived_from_the_beijing_data(tmp_path: Path) -> None:
    directory = shared_path("data", "beijing-multisite-aq")
    rows = stage.derive_shapes(directory)
    stage.write_shapes(rows, tmp_path / "shapes.csv")
    shipped = Path(stage.__file__).parent / stage.SHAPES_FILE
    assert (tmp_path / "shapes.csv").read_text(encoding="utf-8") == shipped.read_text(encoding="utf-8")


def test_fast_backfill_goes_through_storage(tmp_path: Path) -> None:
    """A small registry (tests/ingest/conftest.py: 2 air stations, a section, two outlets)."""
    from greenport.bootstrap import Container
    from greenport.config import Settings
    from greenport.demo.context import DemoContext, DemoDevice
    from greenport.kernel.time import local_year_bounds
    from greenport.storage.db import Database
    from greenport.storage.migrate import upgrade
    from tests.ingest.conftest import PASSWORD, populate

    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    db = Database.from_url(url)
    devices = populate(db)
    ctx = DemoContext(container=Container(Settings(database_url=url), db), fast=True)
    ctx.devices = [DemoDevice(mn, PASSWORD, site, mn[2:], kind) for mn, (_, site, kind) in devices.items()]
    result = stage.build(ctx)
    assert result["hours_backfilled"] == stage.FAST_DAYS * 24
    assert result["water_sections"] == 1 and result["water_sections_class_iii_or_better"] == 1
    assert set(result["episodes"]) == {"exceedance", "offline", "flatline", "air_outage"}
    start, _ = local_year_bounds(2022)
    with ctx.uow() as uow:
        stored = uow.monitoring.count_observations()
        days = uow.monitoring.aggregates(
            start=start, end=start + timedelta(days=3), period=stage.PeriodKind.DAY
        )
        hourly_aqi = uow.monitoring.indices(
            start=start, end=start + timedelta(days=3), period=stage.PeriodKind.HOUR, kind=IndexKind.AQI
        )
    assert stored == result["observations"] == 5 * 3 * 24 + 2 * 6 * 3 * 24 + 3 * 3 * 24 + 2 * 3 * 24 - 0
    assert days and all(a.valid for a in days if a.parameter == "pm2_5")
    assert len(hourly_aqi) >= 2 * (3 * 24 - 23)  # PM needs 20 of the last 24 hours
    db.dispose()
