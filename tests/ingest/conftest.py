"""Fixtures of the ingest tests: a migrated database with a few sites and devices."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from greenport.accounts.passwords import hash_password
from greenport.enterprises.model import CrcVariantSetting, SiteKind, SiteLevel
from greenport.regions.model import DivisionLevel
from greenport.storage.db import Database
from greenport.storage.registry import DeviceRow, DivisionRow, SiteRow

PASSWORD = "123456"


@dataclass(frozen=True)
class Fixture:
    db: Database
    url: str
    devices: dict[str, tuple[int, int, str]]  # mn -> (device id, site id, site kind)


SITES = (
    ("AIR01", SiteKind.AIR_STATION, SiteLevel.NATIONAL, 2),
    ("AIR02", SiteKind.AIR_STATION, SiteLevel.PROVINCIAL, 2),
    ("SEC01", SiteKind.WATER_SECTION, SiteLevel.NATIONAL, 3),
    ("GAS01", SiteKind.GAS_OUTLET, SiteLevel.ENTERPRISE, None),
    ("WAT01", SiteKind.WATER_OUTLET, SiteLevel.ENTERPRISE, None),
)


def populate(
    db: Database, extra_devices: dict[str, tuple[str, str, str]] | None = None
) -> dict[str, tuple[int, int, str]]:
    """Division, five sites, one device per site (MN = ``GP<site code>``, PW ``123456``), plus
    ``extra_devices`` mn -> (site code, password, crc variant)."""
    device_hash = hash_password(PASSWORD, profile="device")
    out: dict[str, tuple[int, int, str]] = {}
    with db.session() as session:
        session.add(DivisionRow(code="320582000000", name="港城市", level=DivisionLevel.CITY))
        session.flush()
        sites = {}
        for code, kind, level, target in SITES:
            row = SiteRow(
                code=code,
                name=code,
                kind=kind,
                level=level,
                town_code="320582000000",
                lon=120.5,
                lat=31.9,
                target_class=target if kind is SiteKind.WATER_SECTION else None,
            )
            session.add(row)
            session.flush()
            sites[code] = row
            device = DeviceRow(mn=f"GP{code}", password_hash=device_hash, site_id=row.id)
            session.add(device)
            session.flush()
            out[device.mn] = (device.id, row.id, kind.value)
        for mn, (site_code, password, variant) in (extra_devices or {}).items():
            site = sites[site_code]
            pw_hash = device_hash if password == PASSWORD else hash_password(password, profile="device")
            device = DeviceRow(
                mn=mn, password_hash=pw_hash, site_id=site.id, crc_variant=CrcVariantSetting(variant)
            )
            session.add(device)
            session.flush()
            out[mn] = (device.id, site.id, site.kind.value)
    return out


@pytest.fixture
def city(db: Database, database_url: str) -> Iterator[Fixture]:
    yield Fixture(db, database_url, populate(db))
