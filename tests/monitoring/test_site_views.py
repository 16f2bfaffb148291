"""The monitoring reads pages draw, on both engines: site states, series with their limit lines,
observations by period, the quarantine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from greenport.accounts.model import CITY
from greenport.enterprises import service as enterprises
from greenport.kernel.time import PeriodKind
from greenport.monitoring import service
from greenport.monitoring.model import Aggregate, IndexKind, IndexValue, Observation, QuarantineEntry
from greenport.storage.db import Database
from greenport.storage.registry import SiteRow
from greenport.storage.uow import UnitOfWork
from tests.ingest.conftest import populate

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
HOUR = NOW - timedelta(hours=1)


def _city(db: Database) -> dict[str, tuple[int, int, str]]:
    """The ingest fixture's five sites; GAS01 a sintering machine head under steel ultra-low
    emission (环大气〔2019〕35号: SO2 35 mg/m³ hourly at 16 % O2) whose newest hour is 41 mg/m³,
    AIR01 at hourly AQI 101, both reporting ten minutes ago; AIR02, SEC01 and WAT01 silent."""
    devices = populate(db)
    gas_device, gas, _ = devices["GPGAS01"]
    air_device, air, _ = devices["GPAIR01"]
    with UnitOfWork(db) as uow:
        uow.session.execute(
            update(SiteRow)
            .where(SiteRow.id == gas)
            .values(emission_standard="steel_ultra_low", process="sintering_head")
        )
        seen = NOW - timedelta(minutes=10)
        service.store_observations(
            uow,
            observations=[
                Observation(seen, gas_device, gas, PeriodKind.RAW, "flue_so2", 41.0, received_at=seen),
                Observation(seen, air_device, air, PeriodKind.RAW, "pm2_5", 80.0, received_at=seen),
                Observation(HOUR, gas_device, gas, PeriodKind.MINUTE, "flue_so2", 40.0, received_at=seen),
            ],
            mark_dirty=False,
        )
        uow.monitoring.put_aggregates(
            [
                Aggregate(HOUR - timedelta(hours=1), gas, PeriodKind.HOUR, "flue_so2", 20.0, 60, True),
                Aggregate(HOUR, gas, PeriodKind.HOUR, "flue_so2", 41.0, 60, True),
                Aggregate(HOUR, gas, PeriodKind.HOUR, "flue_dust", 9.0, 20, False),  # invalid: too few
            ]
        )
        uow.monitoring.put_indices(
            [
                IndexValue(
                    HOUR,
                    air,
                    PeriodKind.HOUR,
                    IndexKind.AQI,
                    101.0,
                    "Lightly polluted",
                    '{"primary": ["pm2_5"]}',
                )
            ]
        )
    return devices


def test_site_states_judge_each_site(db: Database) -> None:
    _city(db)
    with UnitOfWork(db) as uow:
        states = {
            s["code"]: s
            for s in service.site_states(uow, sites=enterprises.visible_sites(uow, scope=CITY), now=NOW)
        }
    assert {code: s["state"] for code, s in states.items()} == {
        "AIR01": "over_limit",
        "AIR02": "offline",
        "GAS01": "over_limit",
        "SEC01": "offline",
        "WAT01": "offline",
    }
    assert states["AIR01"]["aqi"] == 101.0 and states["AIR01"]["primary"] == ["pm2_5"]
    (over,) = states["GAS01"]["exceedances"]
    assert (over["parameter"], over["value"], over["limit"], over["averaging"]) == (
        "flue_so2",
        41.0,
        35.0,
        "hour",
    )
    assert over["period_start"] == HOUR.isoformat()
    assert states["WAT01"]["exceedances"] == [] and states["AIR02"]["last_seen"] is None
    # an hour later than the silence threshold, every site is offline
    with UnitOfWork(db) as uow:
        later = service.site_states(
            uow, sites=enterprises.visible_sites(uow, scope=CITY), now=NOW + timedelta(hours=3)
        )
    assert {s["state"] for s in later} == {"offline"}


def test_site_series_with_limit_lines(db: Database) -> None:
    devices = _city(db)
    _, gas, _ = devices["GPGAS01"]
    with UnitOfWork(db) as uow:
        site = enterprises.visible_site(uow, scope=CITY, site_id=gas)
        series = service.site_series(uow, site=site, period="hour", start=NOW - timedelta(days=1), end=NOW)
    so2 = series["series"]["flue_so2"]
    assert [v for _, v in so2["points"]] == [20.0, 41.0]
    assert so2["limits"] == [("steel_ultra_low, O2 16%", 35.0)]
    assert series["series"]["flue_dust"]["points"] == [(HOUR.isoformat(), 9.0)]  # invalid hours are drawn too


def test_site_observations_by_period_in_the_order_asked(db: Database) -> None:
    devices = _city(db)
    _, gas, _ = devices["GPGAS01"]
    window = {"site_id": gas, "start": NOW - timedelta(hours=6), "end": NOW + timedelta(hours=1)}
    with UnitOfWork(db) as uow:
        raw_first = service.site_observations(uow, **window, periods=("raw", "minute"))
        minute_first = service.site_observations(uow, **window, periods=("minute", "raw"))
    assert [r["value"] for r in raw_first] == [41.0, 40.0]
    assert [r["value"] for r in minute_first] == [40.0, 41.0]
    assert raw_first[0]["flag"] == "N" and raw_first[0]["parameter"] == "flue_so2"


def test_quarantine_newest_first_with_reason_and_raw_bytes(db: Database) -> None:
    populate(db)
    entries = [
        QuarantineEntry(
            received_at=NOW - timedelta(minutes=m), reason=reason, raw=raw, peer="10.0.0.9", mn="X"
        )
        for m, reason, raw in ((2, "bad_crc", b"##0001\xff"), (1, "unknown_device", b"##0002"))
    ]
    with UnitOfWork(db) as uow:
        uow.monitoring.store(quarantine=entries)
    with UnitOfWork(db) as uow:
        newest = service.quarantine(uow, limit=10)
        by_reason = service.quarantine(uow, reason="bad_crc")
    assert [e.reason for e in newest] == ["unknown_device", "bad_crc"]
    assert [e.raw for e in by_reason] == [b"##0001\xff"]
