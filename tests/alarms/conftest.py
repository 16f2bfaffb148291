"""Fixtures of the alarm tests: a migrated database with an outlet of a known standard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from greenport.enterprises.model import IndustryGroup, SiteKind, SiteLevel, SizeClass
from greenport.kernel.time import PeriodKind
from greenport.monitoring.model import DeviceFlag, Observation
from greenport.regions.model import DivisionLevel
from greenport.storage.db import Database
from greenport.storage.registry import DeviceRow, DivisionRow, EnterpriseRow, SiteRow
from greenport.storage.uow import UnitOfWork

TOWN = "320582100000"
OTHER_TOWN = "320582101000"


@dataclass(frozen=True)
class Outlets:
    db: Database
    gas: tuple[int, int]  # (device id, site id): coal-fired unit, ultra-low limits, O2 ref 6 %
    water: tuple[int, int]
    air: tuple[int, int]
    other_town_gas: tuple[int, int]
    enterprise_id: int


def make_outlets(db: Database) -> Outlets:
    with db.session() as session:
        session.add(DivisionRow(code="320582000000", name="港城市", level=DivisionLevel.CITY))
        session.add(
            DivisionRow(code=TOWN, name="金港镇", level=DivisionLevel.TOWN, parent_code="320582000000")
        )
        session.add(
            DivisionRow(code=OTHER_TOWN, name="杨舍镇", level=DivisionLevel.TOWN, parent_code="320582000000")
        )
        session.flush()
        firm = EnterpriseRow(
            credit_code="91320582MA1TEST01X",
            name="港城电厂",
            town_code=TOWN,
            industry_code="4411",
            industry_group=IndustryGroup.OTHER,
            land_area_mu=100.0,
            size_class=SizeClass.LARGE,
            lon=120.5,
            lat=31.9,
        )
        session.add(firm)
        session.flush()
        out: dict[str, tuple[int, int]] = {}
        for code, kind, town, extra in (
            (
                "GAS01",
                SiteKind.GAS_OUTLET,
                TOWN,
                {"emission_standard": "coal_power_ultra_low", "process": "coal_fired_unit"},
            ),
            (
                "WAT01",
                SiteKind.WATER_OUTLET,
                TOWN,
                {"emission_standard": "gb8978_1996", "process": "other", "emission_grade": "1"},
            ),
            ("AIR01", SiteKind.AIR_STATION, TOWN, {}),
            (
                "GAS02",
                SiteKind.GAS_OUTLET,
                OTHER_TOWN,
                {"emission_standard": "coal_power_ultra_low", "process": "coal_fired_unit"},
            ),
        ):
            site = SiteRow(
                code=code,
                name=code,
                kind=kind,
                level=SiteLevel.ENTERPRISE if kind is not SiteKind.AIR_STATION else SiteLevel.NATIONAL,
                town_code=town,
                enterprise_id=firm.id if kind is not SiteKind.AIR_STATION else None,
                lon=120.5,
                lat=31.9,
                **extra,
            )
            session.add(site)
            session.flush()
            device = DeviceRow(mn=f"GP{code}", password_hash="x", site_id=site.id)
            session.add(device)
            session.flush()
            out[code] = (device.id, site.id)
        firm_id = firm.id
    return Outlets(db, out["GAS01"], out["WAT01"], out["AIR01"], out["GAS02"], firm_id)


@pytest.fixture
def outlets(db: Database) -> Outlets:
    return make_outlets(db)


def realtime(
    device_site: tuple[int, int],
    start: datetime,
    values: Sequence[dict[str, float] | None],
    *,
    step: timedelta = timedelta(minutes=1),
    flag: DeviceFlag = DeviceFlag.NORMAL,
    received_lag: timedelta = timedelta(seconds=5),
) -> list[Observation]:
    """Real-time observations (CN 2011), one reading per entry of ``values`` (None: no reading)."""
    device, site = device_site
    out = []
    for i, reading in enumerate(values):
        if reading is None:
            continue
        t = start + i * step
        for parameter, value in reading.items():
            out.append(
                Observation(
                    t, device, site, PeriodKind.RAW, parameter, value, flag, received_at=t + received_lag
                )
            )
    return out


def store(db: Database, observations: Sequence[Observation]) -> None:
    """Store as ingest does: readings and their (site, hour) marks for the alarm rules."""
    from greenport.alarms import service as alarms
    from greenport.monitoring import service as monitoring

    with UnitOfWork(db) as uow:
        monitoring.store_observations(uow, observations=observations)
        alarms.mark_dirty(uow, marks=[(o.site_id, o.data_time) for o in observations])
